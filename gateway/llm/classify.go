package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dragoman-news/dragoman/gateway"
)

// failure is an upstream error sorted into what the caller must do.
type failure struct {
	err     *gateway.Error
	retry   bool
	outcome string // the metrics label of the call
}

// Outcomes of an upstream call, as counted in metrics.
const (
	outcomeOK          = "ok"
	outcomeRateLimited = "rate_limited"
	outcomeServerError = "server_error"
	outcomeTimeout     = "timeout"
	outcomeUnreachable = "unreachable"
	outcomeBadResponse = "bad_response"
	outcomeRejected    = "rejected"
	outcomeCanceled    = "canceled"
	outcomeQueueFull   = "queue_full"
)

// classify sorts err from one call. ctx is the caller's context, so that a
// caller who went away or ran out of time is told apart from a per-call
// timeout, which is worth a retry.
func classify(ctx context.Context, err error, info *callInfo, callTimeout time.Duration) failure {
	if gerr, ok := errors.AsType[*gateway.Error](err); ok {
		return failure{err: gerr, outcome: outcomeQueueFull}
	}
	switch ctxErr := ctx.Err(); {
	case errors.Is(ctxErr, context.Canceled):
		return failure{err: gateway.Wrap(gateway.CodeClientClosed, err, "The client went away before the model answered."), outcome: outcomeCanceled}
	case errors.Is(ctxErr, context.DeadlineExceeded):
		return failure{err: gateway.Wrap(gateway.CodeUpstreamTimeout, err, "The request's deadline passed before the model answered."), outcome: outcomeTimeout}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return failure{
			err:     gateway.Wrap(gateway.CodeUpstreamTimeout, err, fmt.Sprintf("The model server did not answer within %s.", callTimeout)),
			retry:   true,
			outcome: outcomeTimeout,
		}
	}
	if errors.Is(err, errBodyTooLarge) {
		return failure{err: gateway.Wrap(gateway.CodeUpstreamBadResponse, err, "The model server's response was larger than the gateway accepts."), outcome: outcomeBadResponse}
	}

	status, message := upstreamStatus(err)
	if status == 0 && info != nil && info.status >= 400 {
		status = info.status
	}
	switch {
	case status == http.StatusTooManyRequests:
		e := gateway.Wrap(gateway.CodeUpstreamRateLimited, err, "The model server is rate limiting the gateway; retry later.")
		if info != nil {
			e.RetryAfter = info.retryAfter
		}
		return failure{err: e, retry: true, outcome: outcomeRateLimited}
	case status == http.StatusRequestTimeout || status >= 500:
		return failure{
			err:     gateway.Wrap(gateway.CodeUpstreamError, err, fmt.Sprintf("The model server failed (status %d).", status)),
			retry:   true,
			outcome: outcomeServerError,
		}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return failure{
			err:     gateway.Wrap(gateway.CodeUpstreamError, err, fmt.Sprintf("The model server refused the gateway's credentials (status %d): check OPENAI_API_KEY.", status)),
			outcome: outcomeRejected,
		}
	case status == http.StatusNotFound:
		return failure{
			err:     gateway.Wrap(gateway.CodeUpstreamError, err, "The model server does not know this model or endpoint (status 404): check DRAGOMAN_MODEL and OPENAI_BASE_URL."),
			outcome: outcomeRejected,
		}
	case status >= 400:
		return failure{
			err:     gateway.Wrap(gateway.CodeUpstreamError, err, fmt.Sprintf("The model server rejected the request (status %d): %s", status, clip(message, 300))),
			outcome: outcomeRejected,
		}
	case status == -1:
		// An error event inside a stream: the server failed mid-answer.
		return failure{err: gateway.Wrap(gateway.CodeUpstreamError, err, "The model server reported an error while answering."), retry: true, outcome: outcomeServerError}
	}

	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errNoChoices) {
		return failure{err: gateway.Wrap(gateway.CodeUpstreamBadResponse, err, "The model server sent a response the gateway cannot read."), retry: true, outcome: outcomeBadResponse}
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &netErr) || errors.As(err, &opErr) || errors.Is(err, io.EOF) {
		return failure{err: gateway.Wrap(gateway.CodeUpstreamUnreachable, err, "The gateway could not reach the model server."), retry: true, outcome: outcomeUnreachable}
	}
	return failure{err: gateway.Wrap(gateway.CodeUpstreamError, err, "The model call failed."), outcome: outcomeRejected}
}

// upstreamStatus extracts the HTTP status and message from go-openai's
// error types; -1 marks an error the server sent inside a stream.
func upstreamStatus(err error) (int, string) {
	if apiErr, ok := errors.AsType[*openai.APIError](err); ok {
		if apiErr.HTTPStatusCode == 0 {
			return -1, apiErr.Message
		}
		return apiErr.HTTPStatusCode, apiErr.Message
	}
	if reqErr, ok := errors.AsType[*openai.RequestError](err); ok {
		return reqErr.HTTPStatusCode, string(reqErr.Body)
	}
	return 0, ""
}

// rejectsFormat reports whether a failed call looks like a server refusing
// the response_format it was sent.
func rejectsFormat(err error) bool {
	status, _ := upstreamStatus(err)
	return status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusNotImplemented
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
