package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway"
)

// problemBase is where each code is documented; a problem's type is this
// URL with the code as fragment.
const problemBase = "https://github.com/dragoman-news/dragoman/blob/main/docs/errors.md#"

// Problem is an RFC 9457 problem object, with Dragoman's extensions.
type Problem struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail,omitempty"`
	Instance   string       `json:"instance,omitempty"`
	Code       gateway.Code `json:"code"`
	Field      string       `json:"field,omitempty"`
	RequestID  string       `json:"request_id,omitempty"`
	RetryAfter int          `json:"retry_after,omitempty"` // seconds, as in the header
}

// problemOf builds the problem for err and the request it answers.
func problemOf(c echo.Context, err error) (*Problem, *gateway.Error) {
	gerr := fromEcho(err)
	p := &Problem{
		Type:      problemBase + string(gerr.Code),
		Title:     gerr.Code.Title(),
		Status:    gerr.Status(),
		Detail:    gerr.Detail,
		Instance:  c.Request().URL.Path,
		Code:      gerr.Code,
		Field:     gerr.Field,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
	}
	if gerr.RetryAfter > 0 {
		p.RetryAfter = int(math.Ceil(gerr.RetryAfter.Seconds()))
	}
	return p, gerr
}

// renderError is Echo's error handler: every error leaves as problem+json.
func renderError(err error, c echo.Context) {
	if c.Response().Committed {
		return // a stream reports its own errors in band
	}
	p, _ := problemOf(c, err)
	h := c.Response().Header()
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	h.Set(echo.HeaderContentType, "application/problem+json")
	h.Set(echo.HeaderCacheControl, "no-store")
	status := p.Status
	if status == gateway.CodeClientClosed.Status() {
		status = http.StatusBadRequest // 499 is for logs: no client reads it
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, p)
}

// fromEcho maps Echo's own errors (no route, wrong method) onto codes.
func fromEcho(err error) *gateway.Error {
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		return gateway.AsError(err)
	}
	switch he.Code {
	case http.StatusNotFound:
		return gateway.Errorf(gateway.CodeNotFound, "No such endpoint.")
	case http.StatusMethodNotAllowed:
		return gateway.Errorf(gateway.CodeMethodNotAllowed, "This endpoint does not accept that method.")
	case http.StatusRequestEntityTooLarge:
		return gateway.Errorf(gateway.CodeBodyTooLarge, "The request body is too large.")
	case http.StatusUnsupportedMediaType:
		return gateway.Errorf(gateway.CodeUnsupportedMedia, "Unsupported content type.")
	}
	return &gateway.Error{Code: gateway.CodeInternal, Detail: "The server failed to handle the request.", Err: err}
}
