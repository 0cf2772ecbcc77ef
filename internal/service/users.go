package service

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
)

// maxNameLen bounds user, token and term names.
const maxNameLen = 200

// NewUser is what creating a user takes.
type NewUser struct {
	Email    string      `json:"email"`
	Name     string      `json:"name"`
	Role     tandem.Role `json:"role"`
	Password string      `json:"password"`
}

// userView is what the audit log records of a user: never the hash.
type userView struct {
	Email    string      `json:"email"`
	Name     string      `json:"name"`
	Role     tandem.Role `json:"role"`
	Disabled bool        `json:"disabled"`
	Password string      `json:"password,omitempty"`
}

func viewOf(u tandem.User) userView {
	return userView{Email: u.Email, Name: u.Name, Role: u.Role, Disabled: u.Disabled}
}

// checkEmail normalizes an e-mail address (lower case, trimmed) and
// rejects what is not one.
func checkEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || len(email) > 254 {
		return "", tandem.Errorf(tandem.EINVALID, "e-mail %q is not an address like name@example.com", email)
	}
	return email, nil
}

// checkName trims a display name and rejects empty, overlong or
// control-character names.
func checkName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", tandem.Errorf(tandem.EINVALID, "%s is required", what)
	}
	if utf8.RuneCountInString(name) > maxNameLen || !utf8.ValidString(name) {
		return "", tandem.Errorf(tandem.EINVALID, "%s must be valid text of at most %d characters", what, maxNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", tandem.Errorf(tandem.EINVALID, "%s must not contain control characters", what)
		}
	}
	return name, nil
}

// CreateUser validates and stores a new user with an argon2id hash of the
// password. With first, it succeeds only on a store with no users (the
// first-run set-up), atomically, and the user must be an admin.
func (s *Service) CreateUser(ctx context.Context, a Actor, nu NewUser, first bool) (tandem.User, error) {
	email, err := checkEmail(nu.Email)
	if err != nil {
		return tandem.User{}, err
	}
	name, err := checkName("name", nu.Name)
	if err != nil {
		return tandem.User{}, err
	}
	role, err := tandem.ParseRole(string(nu.Role))
	if err != nil {
		return tandem.User{}, err
	}
	if first && role != tandem.RoleAdmin {
		return tandem.User{}, tandem.Errorf(tandem.EINVALID, "the first user must be an admin")
	}
	hash, err := auth.HashPassword(nu.Password)
	if err != nil {
		return tandem.User{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	u := tandem.User{ID: auth.NewID(), Email: email, Name: name, Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if a.Name == "" {
		a.Name = email // the first-run set-up creates itself
	}
	if err := s.store.CreateUser(ctx, u, first, s.entry(a, "user.create", "user:"+email, nil, viewOf(u))); err != nil {
		if first && tandem.ErrorCode(err) == tandem.ECONFLICT {
			if _, e2 := s.store.UserByEmail(ctx, email); e2 != nil {
				return tandem.User{}, tandem.Errorf(tandem.ECONFLICT, "Tandem is already set up: sign in, or ask an admin for an account")
			}
		}
		return tandem.User{}, fmt.Errorf("create user: %w", err)
	}
	s.invalidateDesk()
	return u, nil
}

// UserChange lists the fields to change; nil fields stay.
type UserChange struct {
	Name     *string      `json:"name,omitempty"`
	Role     *tandem.Role `json:"role,omitempty"`
	Disabled *bool        `json:"disabled,omitempty"`
	Password *string      `json:"password,omitempty"`
}

// UpdateUser applies a change. Demoting or disabling the last enabled admin
// is ECONFLICT (the store checks it in the update's transaction), so
// Tandem cannot lock itself out. Disabling a user or
// changing their password or role ends their sessions.
func (s *Service) UpdateUser(ctx context.Context, a Actor, id string, ch UserChange) (tandem.User, error) {
	old, err := s.store.User(ctx, id)
	if err != nil {
		return tandem.User{}, err
	}
	u := old
	after := viewOf(u)
	if ch.Name != nil {
		if u.Name, err = checkName("name", *ch.Name); err != nil {
			return tandem.User{}, err
		}
	}
	if ch.Role != nil {
		if u.Role, err = tandem.ParseRole(string(*ch.Role)); err != nil {
			return tandem.User{}, err
		}
	}
	if ch.Disabled != nil {
		u.Disabled = *ch.Disabled
	}
	if ch.Password != nil {
		if u.PasswordHash, err = auth.HashPassword(*ch.Password); err != nil {
			return tandem.User{}, err
		}
	}
	after = viewOf(u)
	if ch.Password != nil {
		after.Password = "changed"
	}
	u.UpdatedAt = s.now().UTC().Truncate(time.Second)
	if err := s.store.UpdateUser(ctx, u, s.entry(a, "user.update", "user:"+u.Email, viewOf(old), after)); err != nil {
		return tandem.User{}, fmt.Errorf("update user: %w", err)
	}
	if u.Disabled || u.Role != old.Role || ch.Password != nil {
		if err := s.store.DeleteUserSessions(ctx, u.ID, s.now()); err != nil {
			return tandem.User{}, fmt.Errorf("update user: end sessions: %w", err)
		}
	}
	s.invalidateDesk()
	s.accountsChanged()
	return u, nil
}

// UserByEmail returns the user with the e-mail, or ENOTFOUND.
func (s *Service) UserByEmail(ctx context.Context, email string) (tandem.User, error) {
	return s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
}

// Users lists the users.
func (s *Service) Users(ctx context.Context) ([]tandem.User, error) { return s.store.Users(ctx) }

// NeedsSetup reports whether the store has no users yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.store.UserCount(ctx)
	return n == 0, err
}

// maxTokenTTL is the longest expiry a token may be given (0 means none).
const maxTokenTTL = 5 * 365 * 24 * time.Hour

// CreateToken makes an API token for user, named name, valid for ttl (0:
// no expiry). The secret is returned once and never stored.
func (s *Service) CreateToken(ctx context.Context, a Actor, user tandem.User, name string, ttl time.Duration) (tandem.APIToken, string, error) {
	name, err := checkName("token name", name)
	if err != nil {
		return tandem.APIToken{}, "", err
	}
	if ttl < 0 || ttl > maxTokenTTL {
		return tandem.APIToken{}, "", tandem.Errorf(tandem.EINVALID, "token expiry must be from 1 day to 5 years, or none")
	}
	secret, prefix := auth.NewAPIToken()
	now := s.now().UTC().Truncate(time.Second)
	t := tandem.APIToken{ID: auth.NewID(), UserID: user.ID, Name: name, Prefix: prefix, Hash: auth.Digest(secret), CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	view := map[string]any{"id": t.ID, "name": name, "prefix": prefix, "user": user.Email, "expires_at": t.ExpiresAt}
	if err := s.store.CreateToken(ctx, t, s.entry(a, "token.create", "token:"+t.ID, nil, view)); err != nil {
		return tandem.APIToken{}, "", fmt.Errorf("create token: %w", err)
	}
	return t, secret, nil
}

// Tokens lists a user's tokens, or everyone's when userID is "".
func (s *Service) Tokens(ctx context.Context, userID string) ([]tandem.APIToken, error) {
	return s.store.Tokens(ctx, userID)
}

// RevokeToken revokes a token. Only its owner or a user who may manage users
// may (p nil means the command line, which may); anyone else gets
// ENOTFOUND, so token ids cannot be probed.
func (s *Service) RevokeToken(ctx context.Context, a Actor, p *auth.Principal, id string) error {
	all, err := s.store.Tokens(ctx, "")
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	for _, t := range all {
		if t.ID != id {
			continue
		}
		if p != nil && t.UserID != p.User.ID && !p.Can(auth.PermUsersAdmin) {
			break
		}
		if !t.RevokedAt.IsZero() {
			return nil
		}
		now := s.now().UTC().Truncate(time.Second)
		before := map[string]any{"id": t.ID, "name": t.Name, "prefix": t.Prefix, "revoked_at": nil}
		after := map[string]any{"id": t.ID, "name": t.Name, "prefix": t.Prefix, "revoked_at": now}
		if err := s.store.RevokeToken(ctx, id, now, s.entry(a, "token.revoke", "token:"+id, before, after)); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		s.accountsChanged()
		return nil
	}
	return tandem.Errorf(tandem.ENOTFOUND, "no API token %q", id)
}

// Audit returns audit entries, newest first, and the total.
func (s *Service) Audit(ctx context.Context, q tandem.AuditQuery) ([]tandem.AuditEntry, int, error) {
	return s.store.Audit(ctx, q)
}

// CreateRepUsers gives every rep no user acts for a sales user of their
// own, named as the rep, at <first.last>@domain, all with one password
// (hashed once: a demo has dozens of reps). The deal desk routes approvals
// to a rep's manager through these users. It returns the users created.
func (s *Service) CreateRepUsers(ctx context.Context, a Actor, domain, password string) ([]tandem.User, error) {
	reps, err := s.reps(ctx)
	if err != nil {
		return nil, err
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	people := desk.NewPeople(reps, users)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, u := range users {
		taken[u.Email] = true
	}
	var out []tandem.User
	for _, r := range reps {
		if people.Linked(r.ID) {
			continue
		}
		local := strings.Join(strings.FieldsFunc(strings.ToLower(r.Name), func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') }), ".")
		if local == "" {
			local = "rep"
		}
		email := local + "@" + domain
		if taken[email] {
			email = local + "." + strings.ToLower(r.ID) + "@" + domain
		}
		if _, err := checkEmail(email); err != nil || taken[email] {
			continue
		}
		name, err := checkName("name", r.Name)
		if err != nil {
			continue
		}
		now := s.now().UTC().Truncate(time.Second)
		u := tandem.User{ID: auth.NewID(), Email: email, Name: name, Role: tandem.RoleSales, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
		if err := s.store.CreateUser(ctx, u, false, s.entry(a, "user.create", "user:"+email, nil, viewOf(u))); err != nil {
			return out, fmt.Errorf("user for rep %s: %w", r.ID, err)
		}
		taken[email] = true
		out = append(out, u)
	}
	s.invalidateDesk()
	return out, nil
}

// OnAccountsChange sets a function called after a token is revoked or a
// user changed, such as the session manager's ForgetTokens, so caches of
// credentials never outlive the change in this process.
func (s *Service) OnAccountsChange(f func()) { s.onAccounts = f }

func (s *Service) accountsChanged() {
	if s.onAccounts != nil {
		s.onAccounts()
	}
}
