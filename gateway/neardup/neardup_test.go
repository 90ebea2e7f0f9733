package neardup

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dragoman-news/dragoman/gateway/arabic"
)

func body(t *testing.T, name string) string {
	b, err := os.ReadFile("../../testdata/day/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	_, text, _ := strings.Cut(string(b), "\n\n")
	return arabic.Normalize(text)
}

func TestNearCopies(t *testing.T) {
	print := func(name string) (map[uint64]struct{}, uint64) {
		s := Shingles(Words(body(t, name)))
		return s, SimHash(s)
	}
	wire, wireHash := print("a1-xinhua")
	for _, name := range []string{"a2-alghad", "a3-alwatan", "a4-skynews", "a5-rt", "a6-xinhua-update"} {
		s, h := print(name)
		if !NearCopy(wire, s) || Distance(wireHash, h) > CandidateDistance {
			t.Errorf("%s: jaccard %.2f, distance %d: not found as a copy", name, Jaccard(wire, s), Distance(wireHash, h))
		}
	}
	for _, name := range []string{"b1-anadolu", "c1-ahram", "j1-ina"} {
		if s, _ := print(name); NearCopy(wire, s) {
			t.Errorf("%s taken for a copy of the wire story", name)
		}
	}
	b2, _ := print("b2-aljazeera")
	b3, _ := print("b3-alarabiya")
	if NearCopy(b2, b3) {
		t.Error("two reports of one event in other words taken for copies")
	}
}

func TestTerms(t *testing.T) {
	got := Terms(arabic.Normalize("ضرب الزلزال بقوة 5.8 درجات، وزلزال آخر بزلزال في ملاطية من 1,500 كيلومتر"))
	for _, want := range []string{"زلزال", "5.8", "1500", "ملاط", "كيلومتر"} {
		if !slices.Contains(got, want) {
			t.Errorf("terms %q lack %q", got, want)
		}
	}
	if n := strings.Count(strings.Join(got, " "), "زلزال"); n != 3 {
		t.Errorf("زلزال stemmed %d times of 3: %q", n, got)
	}
	if slices.Contains(got, "في") || slices.Contains(got, "من") {
		t.Errorf("function words kept: %q", got)
	}
}

func TestCosine(t *testing.T) {
	v := Vectors([][]string{{"زلزال", "ملاطي", "5.8"}, {"زلزال", "ملاطي", "اصاب"}, {"نفط", "برميل"}})
	if c := Cosine(v[0], v[1]); c < 0.3 || c > 1 {
		t.Errorf("related: %.2f", c)
	}
	if c := Cosine(v[0], v[2]); c != 0 {
		t.Errorf("unrelated: %.2f", c)
	}
	if c := Cosine(v[0], v[0]); c < 0.999 || c > 1.001 {
		t.Errorf("self: %.3f", c)
	}
}

func FuzzTerms(f *testing.F) {
	for _, s := range []string{"", "الزلزال 5.8", "و،ب.ك", "1,2.3..", "ببب"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := arabic.Normalize(s)
		for _, term := range Terms(n) {
			if term == "" {
				t.Fatalf("empty term from %q", s)
			}
		}
		_ = SimHash(Shingles(Words(n)))
	})
}
