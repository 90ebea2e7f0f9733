package llmsim

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func post(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body)))
	return rec
}

func TestHandler(t *testing.T) {
	h := New()
	article := "<<<ARTICLE abc>>>\nقال الرئيس إن 3 وزراء\n\nوصلوا إلى بغداد\n<<<END ARTICLE abc>>>"
	msgs, _ := json.Marshal([]Message{{Role: "system", Content: "Translate."}, {Role: "user", Content: article}})
	tests := []struct {
		name, body string
		status     int
		check      func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{"translation keeps paragraphs and numbers", `{"model": "m", "messages": ` + string(msgs) + `}`, 200, func(t *testing.T, rec *httptest.ResponseRecorder) {
			var out struct {
				Choices []struct {
					Message Message `json:"message"`
				} `json:"choices"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Choices) != 1 {
				t.Fatalf("answer %s: %v", rec.Body, err)
			}
			got := out.Choices[0].Message.Content
			if strings.Count(got, "\n\n") != 1 || !strings.Contains(got, "3") {
				t.Errorf("answer %q: want two paragraphs and the number", got)
			}
		}},
		{"streamed answer ends with DONE and usage", `{"model": "m", "stream": true, "stream_options": {"include_usage": true}, "messages": ` + string(msgs) + `}`, 200, func(t *testing.T, rec *httptest.ResponseRecorder) {
			var last, usage string
			sc := bufio.NewScanner(rec.Body)
			for sc.Scan() {
				if line := sc.Text(); strings.HasPrefix(line, "data: ") {
					if strings.Contains(line, `"usage"`) {
						usage = line
					}
					last = line
				}
			}
			if last != "data: [DONE]" || usage == "" {
				t.Errorf("stream ends with %q, usage %q", last, usage)
			}
		}},
		{"JSON answer fills the schema", `{"model": "m", "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"properties": {"headline": {"type": "string"}, "bullets": {"type": "array", "minItems": 2, "maxItems": 2}}}}}, "messages": ` + string(msgs) + `}`, 200, func(t *testing.T, rec *httptest.ResponseRecorder) {
			var out struct {
				Choices []struct {
					Message Message `json:"message"`
				} `json:"choices"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			var doc struct {
				Headline string   `json:"headline"`
				Bullets  []string `json:"bullets"`
			}
			if len(out.Choices) != 1 || json.Unmarshal([]byte(out.Choices[0].Message.Content), &doc) != nil || doc.Headline == "" || len(doc.Bullets) != 2 {
				t.Errorf("answer %s", rec.Body)
			}
		}},
		{"no model", `{"messages": []}`, 400, nil},
		{"not JSON", `{"model": `, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(t, h, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.check != nil {
				tt.check(t, rec)
			}
		})
	}
}

func TestModelsAndUnknownPaths(t *testing.T) {
	h := New()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/models", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), DemoModel) {
		t.Errorf("GET /v1/models: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/embeddings", nil))
	if rec.Code != 404 {
		t.Errorf("GET /v1/embeddings: %d", rec.Code)
	}
}
