package gateway_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dragoman-news/dragoman/gateway"
)

// TestErrorsDoc keeps the table in docs/errors.md the list of codes in
// code; -update rewrites it.
func TestErrorsDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Code | Status | Title |\n|---|---|---|\n")
	seen := map[gateway.Code]bool{}
	for _, c := range gateway.Codes() {
		if seen[c] {
			t.Errorf("code %s listed twice", c)
		}
		seen[c] = true
		if c != gateway.CodeInternal && c.Title() == gateway.CodeInternal.Title() {
			t.Errorf("code %s has no status or title", c)
		}
		fmt.Fprintf(&b, "| <a id=\"%s\"></a>`%s` | %d | %s |\n", c, c, c.Status(), c.Title())
	}
	const path = "../docs/errors.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(doc), "| Code | Status | Title |")
	end := strings.Index(string(doc), "\n\n## What to do")
	if start < 0 || end < start {
		t.Fatal("docs/errors.md has lost its table or its 'What to do' section")
	}
	if string(doc)[start:end+1] == b.String() {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(string(doc)[:start]+b.String()+string(doc)[end+1:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/errors.md is out of date; run go test ./gateway -run TestErrorsDoc -update")
}
