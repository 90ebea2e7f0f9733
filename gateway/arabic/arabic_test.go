package arabic

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"spaces only", " \t\u00a0\n\r\n ", ""},
		{"tatweel", "الســـــلام", "السلام"},
		{"diacritics kept", "عَلَى عليٍّ", "عَلَى عليٍّ"},
		{"alef variants kept", "أحمد إبراهيم آمن", "أحمد إبراهيم آمن"},
		{"zero width and bidi marks", "مر\u200Bحبا\u200F \u202Bبكم\u202C\u2067x\u2069\uFEFF", "مرحبا بكمx"},
		{"presentation forms", "\uFEDF\uFEE0\uFEEE\uFEE3", "للوم"},
		{"lam-alef ligature", "\uFEFB", "لا"},
		{"NFC", "e\u0301", "\u00e9"},
		{"hamza composed", "ا\u0654", "أ"},
		{"line endings", "أ\r\nب\rج\u2028د\u2029هـ", "أ\n\nب\n\nج\n\nد\n\nه"},
		{"blank lines collapse", "\n\n\nأ  ب\t\tج \n\n\n\n  د  \n", "أ ب ج\n\nد"},
		{"controls dropped", "أ\x00ب\x07ج", "أبج"},
		{"invalid utf8", "أ\xffب", "أ\uFFFDب"},
		{"nbsp and thin space", "10\u00a0000\u2009دولار", "10 000 دولار"},
		{"digits kept as written", "عام ٢٠٢٢", "عام ٢٠٢٢"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"أحمد إبراهيم آمن ٱلله", "احمد ابراهيم امن الله"},
		{"مُحَمَّدٌ", "محمد"},
		{"على", "علي"},
		{"مدرسة", "مدرسه"},
		{"٢٠٢٢ و۱۴۰۳", "2022 و1403"},
		{"٣٫٥ مليون و١٬٠٠٠", "3.5 مليون و1,000"},
		{"BEIJING بكين", "beijing بكين"},
		{"ی ک", "ي ك"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestASCIIDigits(t *testing.T) {
	if got, want := ASCIIDigits("فبراير ٢٠٢٢ و۳٫۵٪ و١٬٢٠٠"), "فبراير 2022 و3.5٪ و1,200"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
		ok       bool
	}{
		{"arabic", "قالت وكالة أنباء الصين الجديدة إن الرئيس الصيني اجتمع مع رئيس الوزراء", "ar", true},
		{"arabic with latin names", "أعلنت شركة Apple عن iPhone جديد في مؤتمر WWDC بمدينة كوبرتينو", "ar", true},
		{"arabic with a foreign name", "التقى الرئيس بوتين مع الرئيس جورج بوش وزار پاريس", "ar", true},
		{"persian", "رئیس جمهور ایران گفت که گفتگوها با چین ادامه پیدا می‌کند و ژاپن", "fa", true},
		{"urdu", "پاکستان کے وزیر اعظم نے کہا ہے کہ حکومت ٹیکس میں کمی کرے گی", "ur", true},
		{"english", "The Chinese president met the Russian prime minister in Beijing", "", false},
		{"english with one arabic word", "The word is سلام in the text and nothing else at all here", "", false},
		{"digits only", "2022 ٢٠٢٢ 12.5", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DetectLanguage(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("DetectLanguage = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"arabic full stops", "جملة أولى. جملة ثانية.", []string{"جملة أولى. ", "جملة ثانية."}},
		{"question and semicolon", "هل جاء؟ نعم؛ جاء أمس! حقا", []string{"هل جاء؟ ", "نعم؛ ", "جاء أمس! ", "حقا"}},
		{"decimal number", "ارتفع بنسبة 3.5 في المئة. ثم", []string{"ارتفع بنسبة 3.5 في المئة. ", "ثم"}},
		{"year at the end", "في فبراير 2022. وبعد", []string{"في فبراير 2022. ", "وبعد"}},
		{"arabic abbreviation", "قال د. محمد إن الأمر انتهى. ثم", []string{"قال د. محمد إن الأمر انتهى. ", "ثم"}},
		{"latin abbreviation", "Mr. Smith met U.S. officials. Then", []string{"Mr. Smith met U.S. officials. ", "Then"}},
		{"BC", "في عام 300 ق.م. كان", []string{"في عام 300 ق.م. كان"}},
		{"guillemets", "قال: «هذا كاف. لن نعود». ثم غادر.", []string{"قال: «هذا كاف. لن نعود». ", "ثم غادر."}},
		{"curly quotes", "قال “انتهى. حقا.” وغادر", []string{"قال “انتهى. حقا.” ", "وغادر"}},
		{"ascii quote closing after stop", `قال: "انتهى." ثم غادر`, []string{`قال: "انتهى." `, "ثم غادر"}},
		{"line breaks", "سطر أول\nسطر ثان.\n\nسطر", []string{"سطر أول\n", "سطر ثان.\n\n", "سطر"}},
		{"space before newline", "أ. \nب", []string{"أ. \n", "ب"}},
		{"ellipsis", "وهكذا… انتهى", []string{"وهكذا… ", "انتهى"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sentences(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSeedArticle(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/article-ar.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := Normalize(string(raw))
	paras := Paragraphs(n)
	if len(paras) != 13 {
		t.Fatalf("paragraphs = %d, want 13 (a date line and 12 paragraphs)", len(paras))
	}
	if paras[0] != "date 2025-11-04" {
		t.Errorf("first paragraph = %q", paras[0])
	}
	if lang, ok := DetectLanguage(n); lang != "ar" || !ok {
		t.Errorf("DetectLanguage = %q, %v", lang, ok)
	}
	var sentences int
	for _, p := range paras {
		sentences += len(Sentences(p))
	}
	if sentences < 13 || sentences > 20 {
		t.Errorf("sentences = %d, want between 13 and 20", sentences)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "أ\r\nب", "\uFEFB\u0640 ٢٠", "a\u0301\u200b\u2029", "\xff\xfe", " \n\n x \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		if again := Normalize(n); again != n {
			t.Fatalf("not idempotent:\n in %q\n 1st %q\n 2nd %q", s, n, again)
		}
		if strings.Contains(n, "\n\n\n") || strings.HasPrefix(n, "\n") || strings.HasSuffix(n, " ") {
			t.Fatalf("white space not unified: %q", n)
		}
		if got := strings.Join(Paragraphs(n), "\n\n"); got != n {
			t.Fatalf("paragraphs lose text: %q vs %q", got, n)
		}
		f := Fold(s)
		if Fold(f) != f {
			t.Fatalf("Fold not idempotent on %q", s)
		}
	})
}

func FuzzSentences(f *testing.F) {
	for _, s := range []string{"", "أ. ب", "«أ. ب» ج", `"x." y`, "د. م. ق.م. \n\n", "3.5. ؟!؛ … )"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pieces := Sentences(s)
		if got := strings.Join(pieces, ""); got != s {
			t.Fatalf("text lost: %q -> %q", s, pieces)
		}
		for _, p := range pieces {
			if p == "" {
				t.Fatalf("empty piece in %q", pieces)
			}
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	raw, err := os.ReadFile("../../testdata/article-ar.txt")
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Normalize(s)
	}
}

func BenchmarkFold(b *testing.B) {
	raw, err := os.ReadFile("../../testdata/article-ar.txt")
	if err != nil {
		b.Fatal(err)
	}
	s := Normalize(string(raw))
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Fold(s)
	}
}
