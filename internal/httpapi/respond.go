package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
)

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError is the one place that turns an error into a response: the
// status from tandem.HTTPStatus and {"code", "message"} with the user-facing
// message. Internal errors are logged with their details and answered with a
// generic sentence.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := tandem.ErrorCode(err)
	if code == tandem.EINTERNAL {
		level, msg := slog.LevelError, "internal error"
		if r.Context().Err() != nil {
			// The client went away or the request timed out: worth a
			// warning, not an alarm.
			level, msg = slog.LevelWarn, "request ended early"
		}
		s.logger.Log(r.Context(), level, msg, "method", r.Method, "path", r.URL.Path, "error", err.Error())
	}
	s.writeJSON(w, tandem.HTTPStatus(err), errorBody{Code: code, Message: tandem.ErrorMessage(err)})
}

// encodeJSON renders v as JSON without escaping <, > and & (responses are
// served as application/json with nosniff, and URLs stay readable).
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return buf.Bytes(), nil
}

// respondJSON writes v as a JSON response with status. It encodes v before
// writing anything, so an encoding error can still become an error response.
func (s *Server) respondJSON(w http.ResponseWriter, status int, v any) error {
	body, err := encodeJSON(v)
	if err != nil {
		return err
	}
	s.write(w, status, "application/json", body)
	return nil
}

// writeJSON is respondJSON for values that always encode.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	if err := s.respondJSON(w, status, v); err != nil {
		s.logger.Error("write response", "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// write sends a complete response. A failed write means the client is gone;
// there is no one left to tell.
func (s *Server) write(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		s.logger.Debug("write response", "error", err.Error())
	}
}
