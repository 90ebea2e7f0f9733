package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway"
)

// validRequestID accepts a caller's request id only if it is short and
// plain, so that it can be logged and echoed safely.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

type requestIDKey struct{}

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID takes the caller's X-Request-Id or makes one, and puts it on
// the response and in the request's context.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
		return next(c)
	}
}

// errorKey holds an error a handler reported without returning it (an
// error sent inside an event stream), for the request log.
const errorKey = "dragoman.error"

// observe is the edge: it renders the error a handler returns, then logs
// the request once and records its metrics.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		} else if e, ok := c.Get(errorKey).(error); ok {
			err = e
		}
		elapsed := time.Since(start)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		res := c.Response()
		status := res.Status
		attrs := []slog.Attr{
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", res.Size),
			slog.Duration("duration", elapsed),
		}
		if cache := res.Header().Get("X-Cache"); cache != "" {
			attrs = append(attrs, slog.String("cache", cache))
		}
		level := slog.LevelInfo
		if err != nil {
			gerr := fromEcho(err)
			status = gerr.Status() // 499 when the client left, whatever was written
			attrs[4] = slog.Int("status", status)
			attrs = append(attrs, slog.String("code", string(gerr.Code)))
			if gerr.Err != nil {
				attrs = append(attrs, slog.String("error", gerr.Err.Error()))
			}
			if status >= 500 {
				level = slog.LevelError
			}
		}
		s.deps.Logger.LogAttrs(c.Request().Context(), level, "request", attrs...)
		s.deps.Metrics.Request(route, c.Request().Method, status, elapsed)
		return nil
	}
}

// recoverPanics turns a panic in a handler into a 500 problem, with the
// stack kept for the log. It is a last resort: handlers do not panic on
// input.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = gateway.Wrap(gateway.CodeInternal, fmt.Errorf("panic: %v\n%s", r, debug.Stack()),
					"The server failed to handle the request.")
			}
		}()
		return next(c)
	}
}
