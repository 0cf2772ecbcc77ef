package tandem

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is what a user does in the company; it decides what they may read and
// change (the policy lives in internal/auth).
type Role string

// The roles of DESIGN §1.
const (
	RoleAdmin   Role = "admin"
	RoleRevOps  Role = "revops"
	RoleProduct Role = "product"
	RoleSales   Role = "sales"
	RoleCS      Role = "cs"
	RoleFinance Role = "finance"
)

// Roles returns every role, most privileged first.
func Roles() []Role {
	return []Role{RoleAdmin, RoleRevOps, RoleProduct, RoleSales, RoleCS, RoleFinance}
}

// ParseRole returns the role named s (case-insensitive), or EINVALID listing
// the roles.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	for _, v := range Roles() {
		if r == v {
			return r, nil
		}
	}
	names := make([]string, 0, 6)
	for _, v := range Roles() {
		names = append(names, string(v))
	}
	return "", Errorf(EINVALID, "unknown role %q (use %s)", s, strings.Join(names, ", "))
}

// User is a person who signs in. Email is unique (compared in lower case).
// PasswordHash is an argon2id PHC string and never leaves the server.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	Disabled     bool      `json:"disabled"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	LastSignIn   time.Time `json:"last_sign_in,omitzero"`
}

// Session is a signed-in browser. Only the SHA-256 of the cookie value is
// stored (IDHash), so a copy of the database cannot be used to sign in.
// CSRF is the token forms must echo.
type Session struct {
	IDHash    string
	UserID    string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// APIToken is a bearer credential for scripts. The secret is shown once at
// creation; the store keeps its SHA-256 (Hash) and a short Prefix to tell
// tokens apart in lists. A token acts with its user's role.
type APIToken struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"`
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// AuditEntry is one write, as recorded in the append-only audit log: who
// (Actor, a user's e-mail or "cli:<name>"), when, what (Action such as
// "user.create", "import", "glossary.update", "signin.fail", on Target) and
// the state before and after as JSON (null when there is none).
type AuditEntry struct {
	ID     int64           `json:"id"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Target string          `json:"target"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
	Remote string          `json:"remote,omitempty"`
}

// AuditJSON encodes v for AuditEntry.Before or After; nil becomes JSON null.
func AuditJSON(v any) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf("%q", fmt.Sprint(v)))
	}
	return b
}

// AuditQuery selects audit entries, newest first. Empty fields match all;
// Action matches a prefix ("user." matches every user change).
type AuditQuery struct {
	Actor  string
	Action string
	Target string
	From   time.Time
	To     time.Time
	Limit  int
	Offset int
}

// AccountStore keeps users, sessions, API tokens and the audit log. Every
// method that changes users or tokens records its audit entry in the same
// transaction, so a change and its record land together or not at all. The
// audit log has no update or delete.
type AccountStore interface {
	// UserCount returns the number of users (0 on a fresh store).
	UserCount(ctx context.Context) (int, error)
	// Users lists every user by e-mail.
	Users(ctx context.Context) ([]User, error)
	// User returns the user with the id, or ENOTFOUND.
	User(ctx context.Context, id string) (User, error)
	// UserByEmail returns the user with the e-mail (any case), or ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (User, error)
	// CreateUser stores a new user; an e-mail in use is ECONFLICT. With
	// onlyIfNone it fails with ECONFLICT when any user exists, atomically,
	// so two first-run set-ups cannot both create an admin.
	CreateUser(ctx context.Context, u User, onlyIfNone bool, a AuditEntry) error
	// UpdateUser replaces the stored user with the same id (ENOTFOUND when
	// missing). A change that would leave no enabled admin is ECONFLICT,
	// checked in the same transaction.
	UpdateUser(ctx context.Context, u User, a AuditEntry) error
	// CreateSession stores a session and removes every expired one. With
	// signIn set, the session is a sign-in: the user's last sign-in time
	// becomes the session's creation time and the entry is recorded, all in
	// the same transaction, so a session never exists without its record.
	CreateSession(ctx context.Context, s Session, signIn *AuditEntry) error
	// Session returns the unexpired session with the hash and its user, or
	// ENOTFOUND.
	Session(ctx context.Context, idHash string, now time.Time) (Session, User, error)
	// DeleteSession removes one session (no error when it is gone).
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteUserSessions removes every session of a user, and expired
	// sessions of everyone.
	DeleteUserSessions(ctx context.Context, userID string, now time.Time) error

	// CreateToken stores a token.
	CreateToken(ctx context.Context, t APIToken, a AuditEntry) error
	// Tokens lists the tokens of a user, or of everyone when userID is "".
	Tokens(ctx context.Context, userID string) ([]APIToken, error)
	// TokenByHash returns the unrevoked, unexpired token with the hash and its
	// user, or ENOTFOUND.
	TokenByHash(ctx context.Context, hash string, now time.Time) (APIToken, User, error)
	// RevokeToken marks a token revoked (ENOTFOUND when missing).
	RevokeToken(ctx context.Context, id string, at time.Time, a AuditEntry) error

	// AppendAudit records an entry on its own, for events that change no
	// account (sign-in failures, sign-ins).
	AppendAudit(ctx context.Context, a AuditEntry) error
	// Audit returns the entries matching q, newest first, and the total.
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, int, error)
}

// AuditChange is one key of an audit entry's before and after states, each
// as compact JSON (strings unquoted; "" for null or missing).
type AuditChange struct {
	Key, Before, After string
	Changed            bool
}

// AuditDiff compares an entry's before and after key by key when both are
// JSON objects (null counting as an empty object), in key order; otherwise
// it compares them whole, as the one key "value". Two nulls give nothing.
func AuditDiff(before, after json.RawMessage) []AuditChange {
	b, bok := auditObject(before)
	a, aok := auditObject(after)
	if !bok || !aok {
		bt, at := auditText(before), auditText(after)
		if bt == "" && at == "" {
			return nil
		}
		return []AuditChange{{Key: "value", Before: bt, After: at, Changed: bt != at}}
	}
	keys := make([]string, 0, len(a)+len(b))
	for k := range b {
		keys = append(keys, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]AuditChange, 0, len(keys))
	for _, k := range keys {
		bt, at := auditText(b[k]), auditText(a[k])
		out = append(out, AuditChange{Key: k, Before: bt, After: at, Changed: bt != at})
	}
	return out
}

// auditObject decodes a JSON object (null and empty count as an empty
// object); ok is false for any other JSON value.
func auditObject(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return map[string]json.RawMessage{}, true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// auditText is a JSON value on one line, strings without quotes, and ""
// for null or nothing.
func auditText(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(t, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, t) != nil {
		return string(t)
	}
	return buf.String()
}
