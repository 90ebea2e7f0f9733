package gateway

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The president met.", "The president met."},
		{"<think>\nreasoning here\n</think>\n\nThe president met.", "The president met."},
		{"<think>never closed, all reasoning", ""},
		{"Here is the translation:\n\nThe president met.", "The president met."},
		{"Sure! Here's the English translation of the article:\nThe president met.", "The president met."},
		{"```\nThe president met.\n```", "The president met."},
		{"```json\n{\"a\": 1}\n```", `{"a": 1}`},
		{"Here is the JSON:\n```json\n{\"a\": 1}\n```", `{"a": 1}`},
		{"The president met.\n\nI hope this helps!", "The president met."},
		{"The president met.\nLet me know if you need anything else.", "The president met."},
		// Text that merely starts like a preamble is kept.
		{"Here is where the talks took place: Beijing.", "Here is where the talks took place: Beijing."},
		{"Translation: a word that is used in the article.\nSecond line.", "Translation: a word that is used in the article.\nSecond line."},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"في فبراير 2022 و٢٠٢٣ و۱۴۰۳", []string{"2022", "2023", "1403"}},
		{"بلغت 1,500 و1.500 و١٬٥٠٠", []string{"1500", "1500", "1500"}},
		{"بنسبة 3.5 و٣٫٥ في المئة", []string{"3.5", "3.5"}},
		{"date 2025-11-04 and 4/11/2025", []string{"2025", "2025"}},
		{"at 10:30, room 007", []string{"10", "30", "7"}},
	}
	for _, tt := range tests {
		if got := numbers(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("numbers(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if m := missingNumbers("ارتفع 10 آلاف و٣٫٥ في فبراير ٢٠٢٢", "rose 10,000 and 3.5 in February 2022"); len(m) != 0 {
		t.Errorf("missing %v", m)
	}
	if m := missingNumbers("عام 2022 و 15 قتيلا", "in 2023 and fifteen dead"); !slices.Equal(m, []string{"2022", "15"}) {
		t.Errorf("missing %v", m)
	}
}

func TestCheckTranslation(t *testing.T) {
	src := []string{"قال الرئيس إن عام 2022 كان صعبا على الاقتصاد المحلي.", "وأضاف أن المحادثات ستستمر."}
	ok := "The president said that 2022 had been hard on the local economy.\n\nHe added that the talks would go on."
	tests := []struct {
		name    string
		content string
		finish  string
		code    Code
	}{
		{"ok", ok, "stop", ""},
		{"single line breaks", strings.Replace(ok, "\n\n", "\n", 1), "stop", ""},
		{"truncated", ok, "length", CodeAnswerTruncated},
		{"filtered", "", "content_filter", CodeModelRefused},
		{"empty", "  \n", "stop", CodeAnswerEmpty},
		{"refusal", "I'm sorry, but I can't help with translating this.", "stop", CodeModelRefused},
		{"merged", strings.Replace(ok, "\n\n", " ", 1), "stop", CodeParagraphsLost},
		{"split", ok + "\n\nA note from the translator about the text.", "stop", CodeParagraphsSplit},
		{"number lost", strings.Replace(ok, "2022", "last year", 1), "stop", CodeNumbersLost},
		{"arabic left", "قال الرئيس إن عام 2022 كان صعبا على الاقتصاد.\n\nHe added that the talks would go on.", "stop", CodeWrongLanguage},
		{"too short", "2022.\n\nHe added that the talks would go on.", "stop", CodeAnswerIncomplete},
		{"arabic name kept", "The president (الرئيس) said that 2022 had been hard on the local economy.\n\nHe added that the talks would go on.", "stop", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := checkTranslation(src, ChatResponse{Content: tt.content, FinishReason: tt.finish})
			var code Code
			if err != nil {
				code = err.Code
			}
			if code != tt.code {
				t.Fatalf("code = %q (%v), want %q", code, err, tt.code)
			}
			if err == nil && len(parts) != len(src) {
				t.Errorf("%d parts", len(parts))
			}
		})
	}
}

func TestCleanBullet(t *testing.T) {
	for in, want := range map[string]string{
		"- The talks went on.":   "The talks went on.",
		"• 2. The talks":         "The talks",
		"1) China and Russia":    "China and Russia",
		"  plain   text  ":       "plain text",
		"2022 was a record year": "2022 was a record year",
	} {
		if got := cleanBullet(in); got != want {
			t.Errorf("cleanBullet(%q) = %q, want %q", in, got, want)
		}
	}
}

// replay applies stream events the way a client does.
func replay(events []StreamEvent) string {
	var deltas []string
	for _, e := range events {
		if e.Rewind {
			deltas = deltas[:e.Keep]
			continue
		}
		deltas = append(deltas, e.Text)
	}
	return strings.Join(deltas, "")
}

func TestSequencerOrdersParallelParts(t *testing.T) {
	var events []StreamEvent
	s := newSequencer([]string{"", "\n\n", "\n\n"}, func(e StreamEvent) { events = append(events, e) })
	s.start()
	s.delta(1, "B1 ") // part 1 streams before part 0: buffered
	s.delta(0, "A1 ")
	s.delta(0, "A2")
	s.finish(0, "A1 A2")
	s.delta(1, "B2")
	s.finish(2, "C") // done before its turn
	s.finish(1, "B1 B2")
	if got := replay(events); got != "A1 A2\n\nB1 B2\n\nC" {
		t.Errorf("replayed %q", got)
	}
	for _, e := range events {
		if e.Rewind {
			t.Errorf("rewind without a retry: %+v", events)
		}
	}
}

func TestSequencerRewindsARetriedPart(t *testing.T) {
	var events []StreamEvent
	s := newSequencer([]string{"", "\n\n"}, func(e StreamEvent) { events = append(events, e) })
	s.finish(0, "Known paragraph.")
	s.start()
	s.delta(1, "Here is the translation:\n\n")
	s.delta(1, "Wrong")
	s.restart(1)
	s.delta(1, "Right ")
	s.delta(1, "answer.")
	s.finish(1, "Right answer.")
	if got := replay(events); got != "Known paragraph.\n\nRight answer." {
		t.Errorf("replayed %q from %+v", got, events)
	}
	if !slices.ContainsFunc(events, func(e StreamEvent) bool { return e.Rewind && e.Keep == 1 }) {
		t.Errorf("no rewind to the end of the known paragraph: %+v", events)
	}
}

func TestSequencerRandomized(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 1))
		n := 1 + r.IntN(6)
		joiners := make([]string, n)
		finals := make([]string, n)
		for i := range n {
			if i > 0 {
				joiners[i] = []string{"\n\n", " "}[r.IntN(2)]
			}
			finals[i] = strings.Repeat(string(rune('a'+i)), 1+r.IntN(4))
		}
		var events []StreamEvent
		s := newSequencer(joiners, func(e StreamEvent) { events = append(events, e) })
		s.start()
		done := make([]bool, n)
		for left := n; left > 0; {
			i := r.IntN(n)
			if done[i] {
				continue
			}
			switch r.IntN(4) {
			case 0:
				s.delta(i, "x")
			case 1:
				s.restart(i)
			case 2:
				s.delta(i, finals[i][:1])
			default:
				s.finish(i, finals[i])
				done[i] = true
				left--
			}
		}
		want := finals[0]
		for i := 1; i < n; i++ {
			want += joiners[i] + finals[i]
		}
		if got := replay(events); got != want {
			t.Fatalf("seed %d: replayed %q, want %q", seed, got, want)
		}
	}
}

func TestThinkFilter(t *testing.T) {
	tests := []struct {
		deltas []string
		want   string
	}{
		{[]string{"<th", "ink>plan", " more</th", "ink>\n\n", "The ", "answer."}, "The answer."},
		{[]string{"The ", "answer."}, "The answer."},
		{[]string{"<", "b>bold</b>"}, "<b>bold</b>"},
		{[]string{" \n<think>x</think>", "Answer"}, "Answer"},
	}
	for _, tt := range tests {
		var out strings.Builder
		f := &thinkFilter{next: func(s string) { out.WriteString(s) }}
		for _, d := range tt.deltas {
			f.write(d)
		}
		if out.String() != tt.want {
			t.Errorf("%q -> %q, want %q", tt.deltas, out.String(), tt.want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "<think>x</think>y", "```\na\n```", "Here is the translation:\nx", "x\nI hope this helps"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := clean(s)
		if len(c) > len(s)+1 {
			t.Fatalf("clean grew the text: %q -> %q", s, c)
		}
		_ = numbers(s)
		_ = splitParagraphs(s, 3)
	})
}
