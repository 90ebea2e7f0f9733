package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is a stable, machine-readable error code. Codes are part of the API:
// the list only grows, and a code never changes its meaning or status.
type Code string

// Error codes, in the order they were added. See docs/errors.md.
const (
	CodeMalformedJSON        Code = "malformed_json"
	CodeUnknownField         Code = "unknown_field"
	CodeMissingField         Code = "missing_field"
	CodeInvalidField         Code = "invalid_field"
	CodeInvalidUTF8          Code = "invalid_utf8"
	CodeBodyTooLarge         Code = "body_too_large"
	CodeTextTooLong          Code = "text_too_long"
	CodeUnsupportedMedia     Code = "unsupported_media_type"
	CodeEmptyText            Code = "empty_text"
	CodeNotArabic            Code = "no_arabic_text"
	CodeQueueFull            Code = "queue_full"
	CodeUpstreamError        Code = "upstream_error"
	CodeUpstreamUnreachable  Code = "upstream_unreachable"
	CodeUpstreamRateLimited  Code = "upstream_rate_limited"
	CodeUpstreamTimeout      Code = "upstream_timeout"
	CodeUpstreamBadResponse  Code = "upstream_bad_response"
	CodeModelNotConfigured   Code = "model_not_configured"
	CodeModelRefused         Code = "model_refused"
	CodeAnswerTruncated      Code = "answer_truncated"
	CodeAnswerEmpty          Code = "answer_empty"
	CodeWrongLanguage        Code = "wrong_language"
	CodeParagraphsLost       Code = "paragraphs_lost"
	CodeParagraphsSplit      Code = "paragraphs_split"
	CodeNumbersLost          Code = "numbers_lost"
	CodeWrongBulletCount     Code = "wrong_bullet_count"
	CodeInvalidAnswer        Code = "invalid_answer"
	CodeNotFound             Code = "not_found"
	CodeMethodNotAllowed     Code = "method_not_allowed"
	CodeInternal             Code = "internal"
	CodeClientClosed         Code = "client_closed_request"
	CodeUnsupportedLanguage  Code = "unsupported_language"
	CodeFetchFailed          Code = "fetch_failed"
	CodeURLForbidden         Code = "url_forbidden"
	CodeUnauthorized         Code = "unauthorized"
	CodeServiceUnavailable   Code = "service_unavailable"
	CodeIdempotencyKeyReused Code = "idempotency_key_reused"
	CodeAnswerIncomplete     Code = "answer_incomplete"
	CodeNoArticles           Code = "no_articles"
	CodeConflict             Code = "conflict"
)

// codeInfo is the fixed status and title of each code.
var codeInfo = map[Code]struct {
	status int
	title  string
}{
	CodeMalformedJSON:        {http.StatusBadRequest, "Malformed JSON"},
	CodeUnknownField:         {http.StatusBadRequest, "Unknown field"},
	CodeMissingField:         {http.StatusBadRequest, "Missing field"},
	CodeInvalidField:         {http.StatusBadRequest, "Invalid field"},
	CodeInvalidUTF8:          {http.StatusBadRequest, "Invalid UTF-8"},
	CodeBodyTooLarge:         {http.StatusRequestEntityTooLarge, "Request body too large"},
	CodeTextTooLong:          {http.StatusRequestEntityTooLarge, "Text too long"},
	CodeUnsupportedMedia:     {http.StatusUnsupportedMediaType, "Unsupported media type"},
	CodeEmptyText:            {http.StatusUnprocessableEntity, "Nothing to translate"},
	CodeNotArabic:            {http.StatusUnprocessableEntity, "No Arabic text"},
	CodeQueueFull:            {http.StatusTooManyRequests, "Too many requests in flight"},
	CodeUpstreamError:        {http.StatusBadGateway, "Model server error"},
	CodeUpstreamUnreachable:  {http.StatusBadGateway, "Model server unreachable"},
	CodeUpstreamRateLimited:  {http.StatusServiceUnavailable, "Model server rate limit"},
	CodeUpstreamTimeout:      {http.StatusGatewayTimeout, "Model server timeout"},
	CodeUpstreamBadResponse:  {http.StatusBadGateway, "Unreadable model server response"},
	CodeModelNotConfigured:   {http.StatusServiceUnavailable, "No model configured"},
	CodeModelRefused:         {http.StatusBadGateway, "Model refused"},
	CodeAnswerTruncated:      {http.StatusBadGateway, "Answer truncated"},
	CodeAnswerEmpty:          {http.StatusBadGateway, "Empty answer"},
	CodeWrongLanguage:        {http.StatusBadGateway, "Answer in the wrong language"},
	CodeParagraphsLost:       {http.StatusBadGateway, "Paragraphs lost"},
	CodeParagraphsSplit:      {http.StatusBadGateway, "Paragraphs split"},
	CodeNumbersLost:          {http.StatusBadGateway, "Numbers lost"},
	CodeWrongBulletCount:     {http.StatusBadGateway, "Wrong number of bullets"},
	CodeInvalidAnswer:        {http.StatusBadGateway, "Invalid answer"},
	CodeNotFound:             {http.StatusNotFound, "Not found"},
	CodeMethodNotAllowed:     {http.StatusMethodNotAllowed, "Method not allowed"},
	CodeInternal:             {http.StatusInternalServerError, "Internal error"},
	CodeClientClosed:         {499, "Client closed request"},
	CodeUnsupportedLanguage:  {http.StatusBadRequest, "Unsupported language"},
	CodeFetchFailed:          {http.StatusBadGateway, "Fetching the URL failed"},
	CodeURLForbidden:         {http.StatusBadRequest, "URL not allowed"},
	CodeUnauthorized:         {http.StatusUnauthorized, "Unauthorized"},
	CodeServiceUnavailable:   {http.StatusServiceUnavailable, "Service unavailable"},
	CodeIdempotencyKeyReused: {http.StatusUnprocessableEntity, "Idempotency key reused"},
	CodeAnswerIncomplete:     {http.StatusBadGateway, "Answer incomplete"},
	CodeNoArticles:           {http.StatusUnprocessableEntity, "No articles"},
	CodeConflict:             {http.StatusConflict, "Conflict"},
}

// Codes lists every code in its documented order.
func Codes() []Code {
	return []Code{
		CodeMalformedJSON, CodeUnknownField, CodeMissingField, CodeInvalidField, CodeInvalidUTF8,
		CodeBodyTooLarge, CodeTextTooLong, CodeUnsupportedMedia, CodeEmptyText, CodeNotArabic,
		CodeQueueFull, CodeUpstreamError, CodeUpstreamUnreachable, CodeUpstreamRateLimited,
		CodeUpstreamTimeout, CodeUpstreamBadResponse, CodeModelNotConfigured, CodeModelRefused,
		CodeAnswerTruncated, CodeAnswerEmpty, CodeWrongLanguage, CodeParagraphsLost, CodeParagraphsSplit,
		CodeNumbersLost, CodeWrongBulletCount, CodeInvalidAnswer, CodeNotFound, CodeMethodNotAllowed,
		CodeInternal, CodeClientClosed, CodeUnsupportedLanguage,
		CodeFetchFailed, CodeURLForbidden, CodeUnauthorized, CodeServiceUnavailable,
		CodeIdempotencyKeyReused, CodeAnswerIncomplete, CodeNoArticles, CodeConflict,
	}
}

// Status is the HTTP status that always goes with the code.
func (c Code) Status() int {
	if i, ok := codeInfo[c]; ok {
		return i.status
	}
	return http.StatusInternalServerError
}

// Title is the short human summary of the code.
func (c Code) Title() string {
	if i, ok := codeInfo[c]; ok {
		return i.title
	}
	return "Internal error"
}

// Error is the one error type that crosses the service boundary. Detail is
// safe to show to the caller; Err is the private cause, for logs only.
type Error struct {
	Code       Code
	Detail     string
	Field      string        // the request field at fault, when there is one
	RetryAfter time.Duration // sent as Retry-After when non-zero
	Err        error
}

// Errorf returns an *Error with a formatted public detail.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with a public detail and a private cause.
func Wrap(code Code, cause error, detail string) *Error {
	return &Error{Code: code, Detail: detail, Err: cause}
}

// FieldError reports a request field that is missing or invalid.
func FieldError(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Detail: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Detail
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status of the error's code.
func (e *Error) Status() int { return e.Code.Status() }

// AsError finds the *Error in err's chain. Errors that are not *Error are
// internal errors: their text is never shown to the caller.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Detail: "The server failed to handle the request.", Err: err}
}

// CodeOf returns the code of err, or "" when err is nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return AsError(err).Code
}
