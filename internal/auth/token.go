package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token, so secret scanners and people can tell
// a Tandem token at a glance.
const TokenPrefix = "tdm_"

// NewSecret returns 32 random bytes as URL-safe base64 (43 characters).
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// NewID returns a random identifier for users and tokens (16 hex digits).
func NewID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Digest is the SHA-256 of a secret in hex: what the store keeps of session
// ids and API tokens. High-entropy secrets need no slow hash.
func Digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewAPIToken returns a new token secret and its display prefix (the
// first 8 characters after "tdm_").
func NewAPIToken() (secret, prefix string) {
	secret = TokenPrefix + NewSecret()
	return secret, secret[:len(TokenPrefix)+8]
}

// IsAPIToken reports whether s looks like an API token.
func IsAPIToken(s string) bool {
	return strings.HasPrefix(s, TokenPrefix) && len(s) > len(TokenPrefix)+8
}
