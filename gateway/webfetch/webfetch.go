// Package webfetch fetches pages, feeds and webhooks from the public web
// without letting a caller reach the gateway's own network: every
// connection, redirects included, is checked against the address it
// actually dials, so a hostname that resolves (or re-resolves) to a
// private address is refused.
package webfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/html/charset"
)

// Config sets a fetcher's limits.
type Config struct {
	Timeout      time.Duration // the whole fetch, body included
	MaxBytes     int64         // largest body read
	MaxRedirects int
	// AllowPrivate lets URLs reach loopback, private and link-local
	// addresses: for tests and private deployments only.
	AllowPrivate bool
	UserAgent    string
}

// ErrForbidden is returned for a URL the guard refuses: a scheme other
// than http(s), or an address that is not public.
var ErrForbidden = errors.New("webfetch: URL not allowed")

// ErrTooLarge is returned when a body exceeds MaxBytes.
var ErrTooLarge = errors.New("webfetch: response too large")

// StatusError is a response with a non-2xx status.
type StatusError struct{ Status int }

func (e *StatusError) Error() string { return fmt.Sprintf("webfetch: status %d", e.Status) }

// Fetcher fetches URLs under the guard.
type Fetcher struct {
	cfg    Config
	client *http.Client
}

// New returns a fetcher.
func New(cfg Config) *Fetcher {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: control(cfg.AllowPrivate)}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the guard
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return fmt.Errorf("webfetch: more than %d redirects", cfg.MaxRedirects)
			}
			return checkURL(req.URL)
		},
	}
	return &Fetcher{cfg: cfg, client: client}
}

// Client returns the guarded HTTP client, for requests other than GET
// (webhook deliveries).
func (f *Fetcher) Client() *http.Client { return f.client }

// Page is a fetched document.
type Page struct {
	URL         *url.URL // after redirects
	ContentType string
	Body        []byte // UTF-8 for text types, converted from the declared charset
	Header      http.Header
}

// Get fetches rawURL. accept is sent as the Accept header.
func (f *Fetcher) Get(ctx context.Context, rawURL, accept string) (*Page, error) {
	u, err := Check(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if f.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", f.cfg.UserAgent)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbidden) {
			return nil, ErrForbidden
		}
		return nil, fmt.Errorf("webfetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &StatusError{Status: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("webfetch: read body: %w", err)
	}
	if int64(len(body)) > f.cfg.MaxBytes {
		return nil, ErrTooLarge
	}
	ct := resp.Header.Get("Content-Type")
	if isText(ct) {
		// Arabic sites still serve windows-1256 and ISO-8859-6.
		if r, err := charset.NewReader(strings.NewReader(string(body)), ct); err == nil {
			if utf8Body, err := io.ReadAll(r); err == nil {
				body = utf8Body
			}
		}
	}
	return &Page{URL: resp.Request.URL, ContentType: ct, Body: body, Header: resp.Header}, nil
}

func isText(contentType string) bool {
	ct := strings.ToLower(contentType)
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "xml") || strings.Contains(ct, "html")
}

// Check parses a URL and refuses schemes other than http and https, and
// literal addresses that are not public. Hostnames are checked when dialed.
func Check(rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q", ErrForbidden, u.Scheme)
	}
	if u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("%w: no host, or credentials in the URL", ErrForbidden)
	}
	return nil
}

// control runs for every connection, with the address being dialed.
func control(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbidden, address)
		}
		if !Public(ap.Addr()) {
			return fmt.Errorf("%w: %s is not a public address", ErrForbidden, ap.Addr())
		}
		return nil
	}
}

// nonPublic are the ranges a fetch must not reach, beyond what netip's
// predicates cover: shared address space, benchmarking, documentation,
// and the old IPv4 "this network".
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Public reports whether an address is on the public internet.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
