package gateway

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestErrorsDoc keeps docs/errors.md the list of codes in code.
func TestErrorsDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Code | Status | Title |\n|---|---|---|\n")
	seen := map[Code]bool{}
	for _, c := range Codes() {
		if seen[c] {
			t.Errorf("code %s listed twice", c)
		}
		seen[c] = true
		if _, ok := codeInfo[c]; !ok {
			t.Errorf("code %s has no status", c)
		}
		fmt.Fprintf(&b, "| <a id=\"%s\"></a>`%s` | %d | %s |\n", c, c, c.Status(), c.Title())
	}
	if len(seen) != len(codeInfo) {
		t.Errorf("Codes() lists %d codes, the table has %d", len(seen), len(codeInfo))
	}
	doc, err := os.ReadFile("../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), b.String()) {
		t.Errorf("docs/errors.md is out of date; its table must be:\n%s", b.String())
	}
}
