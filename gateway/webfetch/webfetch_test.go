package webfetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2a00:1450:4001::1": true, "93.184.215.14": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false,
		"fc00::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "224.0.0.1": false,
		"192.0.2.10": false, "198.18.0.1": false, "255.255.255.255": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, u := range []string{"file:///etc/passwd", "gopher://x", "ftp://example.com/a", "http://", "https://user:pw@example.com/", "javascript:alert(1)"} {
		if _, err := Check(u); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := Check("https://news.example/a?b=c"); err != nil {
		t.Error(err)
	}
}

func fetcher(allowPrivate bool) *Fetcher {
	return New(Config{Timeout: 5 * time.Second, MaxBytes: 1000, MaxRedirects: 2, AllowPrivate: allowPrivate, UserAgent: "test"})
}

func TestGuardRefusesPrivateAddresses(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	if _, err := fetcher(false).Get(context.Background(), srv.URL, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("loopback fetched: %v", err)
	}
	// A public-looking name that resolves to loopback is refused when dialed.
	u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := fetcher(false).Get(context.Background(), u, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("localhost fetched: %v", err)
	}
	if hits != 0 {
		t.Errorf("the server was reached %d times", hits)
	}
	if _, err := fetcher(true).Get(context.Background(), srv.URL, ""); err != nil {
		t.Errorf("allowed private fetch: %v", err)
	}
}

func TestLimits(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 2000)) })
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 1000)) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) })
	mux.HandleFunc("/ua", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.UserAgent() + "|" + r.Header.Get("Accept")))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := fetcher(true)
	ctx := context.Background()
	if _, err := f.Get(ctx, srv.URL+"/big", ""); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big: %v", err)
	}
	if p, err := f.Get(ctx, srv.URL+"/exact", ""); err != nil || len(p.Body) != 1000 {
		t.Errorf("exact: %v", err)
	}
	if _, err := f.Get(ctx, srv.URL+"/loop", ""); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("loop: %v", err)
	}
	var status *StatusError
	if _, err := f.Get(ctx, srv.URL+"/gone", ""); !errors.As(err, &status) || status.Status != 410 {
		t.Errorf("gone: %v", err)
	}
	short := New(Config{Timeout: 100 * time.Millisecond, MaxBytes: 1000, AllowPrivate: true})
	if _, err := short.Get(ctx, srv.URL+"/slow", ""); err == nil {
		t.Error("slow server did not time out")
	}
	if p, _ := f.Get(ctx, srv.URL+"/ua", "text/html"); string(p.Body) != "test|text/html" {
		t.Errorf("headers: %q", p.Body)
	}
}

func TestCharsetIsConverted(t *testing.T) {
	// "مرحبا" in windows-1256, as older Arabic sites still serve.
	cp1256 := []byte{0xe3, 0xd1, 0xcd, 0xc8, 0xc7}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=windows-1256")
		w.Write(append([]byte("<p>"), append(cp1256, []byte("</p>")...)...))
	}))
	defer srv.Close()
	p, err := fetcher(true).Get(context.Background(), srv.URL, "")
	if err != nil || string(p.Body) != "<p>مرحبا</p>" {
		t.Errorf("got %q, %v", p.Body, err)
	}
}
