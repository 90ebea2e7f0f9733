package glossary

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func sources(terms []Term) []string {
	var out []string
	for _, t := range terms {
		out = append(out, t.Source+"="+t.Target)
	}
	return out
}

func TestStarterHasTheAgencies(t *testing.T) {
	g := Starter()
	terms, err := g.Select("نقلت وكالة تاس عن إنترفاكس وشينخوا", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := sources(terms)
	for _, want := range []string{"تاس=TASS", "إنترفاكس=Interfax", "شينخوا=Xinhua"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	if g.Len(Default) < 80 {
		t.Errorf("starter glossary has %d terms", g.Len(Default))
	}
}

func TestMatching(t *testing.T) {
	g := &Glossary{}
	_ = g.add(Default, map[string]string{"تاس": "TASS", "الكرملين": "the Kremlin", "لي تشيانج": "Li Qiang", "بوتين": "Putin"})
	tests := []struct {
		text string
		want []string
	}{
		{"قالت تاس", []string{"تاس=TASS"}},
		{"وتاس وبتاس", []string{"تاس=TASS"}},
		{"في اليوم التاسع", nil},                            // تاس inside a word
		{"أكد الكرملين", []string{"الكرملين=the Kremlin"}},  //
		{"وقال للكرملين", []string{"الكرملين=the Kremlin"}}, // ل + ال
		{"وبالكرملين", []string{"الكرملين=the Kremlin"}},
		{"قال لي تشيانج", []string{"لي تشيانج=Li Qiang"}},
		{"قال لي: إن", nil},
		{"بوتينُ", []string{"بوتين=Putin"}}, // a diacritic does not hide it
		{"التقى بوتينا", nil},
	}
	for _, tt := range tests {
		terms, _ := g.Select(tt.text, nil, nil)
		if got := sources(terms); !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flat, err := Load(write("flat.json", `{"الأهلي": "Al Ahly"}`))
	if err != nil || flat.Len(Default) != 1 {
		t.Fatalf("flat json: %v", err)
	}
	named, err := Load(write("named.json", `{"sports": {"الأهلي": "Al Ahly"}, "default": {"القدس": "Jerusalem"}}`))
	if err != nil || !named.Has("sports") || named.Len(Default) != 1 {
		t.Fatalf("named json: %v", err)
	}
	csv, err := Load(write("g.csv", "glossary,arabic,english\nsports,الأهلي,Al Ahly\nsports,الزمالك,Zamalek\n"))
	if err != nil || csv.Len("sports") != 2 {
		t.Fatalf("csv: %v", err)
	}
	two, err := Load(write("two.csv", "arabic,english\nالقدس,Jerusalem\n"))
	if err != nil || two.Len(Default) != 1 {
		t.Fatalf("two-column csv: %v", err)
	}
	for name, content := range map[string]string{
		"bad.json": `["x"]`, "empty.json": `{"الأهلي": ""}`, "bad.csv": "a,b,c,d\n", "g.txt": "x",
	} {
		if _, err := Load(write(name, content)); err == nil {
			t.Errorf("%s loaded", name)
		}
	}

	g := Merge(Starter(), named)
	terms, err := g.Select("فاز الأهلي في القدس", []string{"sports"}, map[string]string{"القدس": "Al-Quds"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sources(terms), ","); got != "الأهلي=Al Ahly,القدس=Al-Quds" {
		t.Errorf("got %s: named glossary or the request's override not applied", got)
	}
	if _, err := g.Select("نص", []string{"nope"}, nil); err == nil {
		t.Error("unknown glossary accepted")
	}
}

func TestMissing(t *testing.T) {
	terms := []Term{{Source: "تاس", Target: "TASS"}, {Source: "الكرملين", Target: "the Kremlin"}}
	if got := Missing(terms, "The Kremlin said..."); !slices.Equal(got, []string{"TASS"}) {
		t.Errorf("got %v", got)
	}
}
