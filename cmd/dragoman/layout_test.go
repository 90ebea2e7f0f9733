package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"testing"
)

// goList runs `go list -json` and returns each package's direct imports
// (deps false) or every package it links (deps true), tests left out.
func goList(t *testing.T, deps bool, args ...string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p.Imports
		if deps {
			pkgs[p.ImportPath] = p.Deps
		}
	}
	return pkgs
}

// TestLayout keeps the house rules that the compiler does not: which
// package may import what. See docs/architecture.md.
func TestLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const mod = "github.com/dragoman-news/dragoman/"
	pkgs := goList(t, false, "./...")
	// imported names a dependency and the only packages that may import it.
	rules := []struct {
		imported string
		only     []string
	}{
		{"github.com/labstack/echo/v4", []string{mod + "gateway/httpapi"}},
	}
	for _, r := range rules {
		for pkg, imports := range pkgs {
			if slices.Contains(imports, r.imported) && !slices.Contains(r.only, pkg) {
				t.Errorf("%s imports %s; only %v may", pkg, r.imported, r.only)
			}
		}
	}

	bin := goList(t, true, "./cmd/dragoman")
	for _, deps := range bin {
		if slices.Contains(deps, "testing") {
			t.Error("the dragoman binary links the testing package: keep test helpers out of what serve --demo uses")
		}
	}
}
