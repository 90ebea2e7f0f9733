package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway/llmtest"
)

// syncBuffer keeps the first 4 MiB of the server's log, safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < 4<<20 {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gw is a gateway started through run, as the binary starts.
type gw struct {
	url  string
	fake *llmtest.Server
	log  *syncBuffer
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startGateway runs `dragoman serve` on a random port with env (on top of
// a model served by a fresh simulator) until the test ends.
func startGateway(t testing.TB, env map[string]string, args ...string) *gw {
	t.Helper()
	fake := llmtest.Start(t)
	vars := map[string]string{
		"OPENAI_BASE_URL": fake.URL, "DRAGOMAN_MODEL": "test-model", "DRAGOMAN_ADDR": "127.0.0.1:0",
		"DRAGOMAN_LOG_LEVEL": "info", "DRAGOMAN_STREAM_HEARTBEAT": "0s", "DRAGOMAN_DATA_DIR": t.TempDir(),
	}
	for k, v := range env {
		vars[k] = v
	}
	log := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"dragoman", "serve"}, args...), func(k string) string { return vars[k] }, strings.NewReader(""), io.Discard, log)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := listening.FindStringSubmatch(log.String()); m != nil {
			return &gw{url: "http://" + m[1], fake: fake, log: log}
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not start:\n%s", log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %s", r.body)
	}
	return m
}

func (g *gw) post(t testing.TB, path, contentType, body string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest("POST", g.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(t, req)
}

func (g *gw) get(t testing.TB, path string) response {
	t.Helper()
	req, _ := http.NewRequest("GET", g.url+path, nil)
	return send(t, req)
}

func send(t testing.TB, req *http.Request) response {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func articleJSON(t testing.TB, fields map[string]any) string {
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func seed(t testing.TB) string {
	b, err := os.ReadFile("../../testdata/article-ar.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestREADMEConfigTableIsTheRegistry(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), markdownTable()) {
		t.Errorf("README.md's configuration table differs from the registry; replace it with the output of `go run ./cmd/dragoman config`:\n%s", markdownTable())
	}
}

func TestConfigPrecedence(t *testing.T) {
	env := map[string]string{"DRAGOMAN_ADDR": ":9000", "DRAGOMAN_CACHE_MAX_BYTES": "64MiB", "DRAGOMAN_RETRIES": "5"}
	cfg, rest, err := loadConfig("serve", []string{"--retries", "1", "extra"}, func(k string) string { return env[k] }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9000" || cfg.CacheMaxBytes != 64<<20 || cfg.Retries != 1 || cfg.ChunkTokens != 800 || len(rest) != 1 {
		t.Errorf("cfg = %+v, rest %v", cfg, rest)
	}
	for k, v := range map[string]string{
		"DRAGOMAN_RETRIES": "-1", "DRAGOMAN_CACHE_MAX_BYTES": "lots", "DRAGOMAN_TEMPERATURE": "3",
		"DRAGOMAN_TOKEN_FIELD": "max", "DRAGOMAN_REQUEST_TIMEOUT": "soon", "DRAGOMAN_DEMO": "maybe",
	} {
		_, _, err := loadConfig("serve", nil, func(key string) string {
			if key == k {
				return v
			}
			return ""
		}, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err = %v; want an error naming the variable", k, v, err)
		}
	}
}

func TestCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"dragoman", "version"}, os.Getenv, nil, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "dragoman ") {
		t.Errorf("version: %q %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"dragoman", "frobnicate"}, os.Getenv, nil, &out, &errOut); err != errUsage {
		t.Errorf("unknown command: %v", err)
	}
	if err := run(context.Background(), []string{"dragoman"}, os.Getenv, nil, &out, &errOut); err != errUsage {
		t.Errorf("no command: %v", err)
	}
}

func TestTranslateCommand(t *testing.T) {
	env := map[string]string{"DRAGOMAN_DEMO": "true", "DRAGOMAN_LOG_LEVEL": "error", "DRAGOMAN_DATA_DIR": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"dragoman", "translate", "--json", "../../testdata/article-ar.txt"}, getenv, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var tr map[string]any
	if err := json.Unmarshal(out.Bytes(), &tr); err != nil || tr["demo"] != true || !strings.Contains(tr["translation"].(string), "Xinhua") {
		t.Errorf("translate --json: %v %s", err, out.String())
	}
	out.Reset()
	err = run(context.Background(), []string{"dragoman", "summarize", "--bullets", "3", "-"}, getenv, strings.NewReader(seed(t)), &out, &errOut)
	if err != nil || strings.Count(out.String(), "\n- ") != 3 {
		t.Errorf("summarize from stdin: %v\n%s", err, out.String())
	}
	out.Reset()
	err = run(context.Background(), []string{"dragoman", "translate", "-"}, getenv, strings.NewReader("Only English here."), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "no_arabic_text") {
		t.Errorf("English input: %v", err)
	}
	noModel := map[string]string{"DRAGOMAN_DATA_DIR": t.TempDir()}
	err = run(context.Background(), []string{"dragoman", "translate", "-"}, func(k string) string { return noModel[k] }, strings.NewReader(seed(t)), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "DRAGOMAN_MODEL") {
		t.Errorf("no model: %v", err)
	}
}

func Example_config() {
	table := markdownTable()
	fmt.Println(strings.SplitN(table, "\n", 3)[0])
	// Output: | Flag | Environment variable | Default | Meaning |
}
