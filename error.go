// Package tandem holds Tandem's domain: the canonical data contract (entities,
// columns and records), the store interfaces the rest of the program is written
// against, and the one error type whose codes map to HTTP statuses and CLI exit
// codes. It depends on the standard library only.
package tandem

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes. Each maps to exactly one HTTP status and one CLI exit code in
// HTTPStatus and ExitCode, so callers decide by code and users see Message.
const (
	EINVALID  = "invalid"   // bad input: a flag, a row, a parameter
	ENOTFOUND = "not_found" // the named thing does not exist
	ECONFLICT = "conflict"  // the request contradicts stored state
	EINTERNAL = "internal"  // a bug or an environment failure

	EUNAUTHORIZED = "unauthorized"       // no valid session or token: sign in
	EFORBIDDEN    = "forbidden"          // signed in, but the role may not do this
	ETOOLARGE     = "too_large"          // a request body over its limit
	ERATELIMITED  = "rate_limited"       // too many attempts; try again later
	EMETHOD       = "method_not_allowed" // the path exists, not with this method
)

// Error is a domain error: a machine-readable Code and a sentence for people.
// Op names the operation that failed, for logs and CLI output.
type Error struct {
	Code    string
	Op      string
	Message string
	Err     error
}

// Error renders "op: message: cause", omitting empty parts.
func (e *Error) Error() string {
	s := e.Message
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		if s == "" {
			return e.Err.Error()
		}
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first domain error in err's chain, or
// EINTERNAL when there is none; nil has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message meant for users: the domain error's
// message, or a generic sentence for internal errors so that details (and any
// secret they may contain) stay in logs.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Error()
	}
	return "internal error"
}

// statuses is the single mapping from error code to HTTP status and exit code.
func statuses(code string) (status, exit int) {
	switch code {
	case EINVALID:
		return http.StatusBadRequest, 2
	case ENOTFOUND:
		return http.StatusNotFound, 3
	case ECONFLICT:
		return http.StatusConflict, 4
	case EUNAUTHORIZED:
		return http.StatusUnauthorized, 5
	case EFORBIDDEN:
		return http.StatusForbidden, 6
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge, 2
	case ERATELIMITED:
		return http.StatusTooManyRequests, 7
	case EMETHOD:
		return http.StatusMethodNotAllowed, 2
	default:
		return http.StatusInternalServerError, 1
	}
}

// HTTPStatus maps an error to its HTTP status.
func HTTPStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	s, _ := statuses(ErrorCode(err))
	return s
}

// ExitCode maps an error to the CLI's exit status.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	_, e := statuses(ErrorCode(err))
	return e
}
