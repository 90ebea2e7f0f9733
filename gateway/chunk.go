package gateway

import (
	"strings"

	"github.com/dragoman-news/dragoman/gateway/arabic"
)

// segment is a piece of an article translated as one paragraph: a whole
// paragraph, or a run of sentences of a paragraph too long for one call.
type segment struct {
	para   int // the paragraph it belongs to
	text   string
	tokens int
}

// segments cuts paragraphs into segments of at most budget tokens: a
// paragraph that fits is one segment; a longer one is cut between
// sentences, and a sentence longer than the budget between words.
func segments(paras []string, count TokenCounter, budget int) []segment {
	var out []segment
	for i, p := range paras {
		n := count.Count(p)
		if n <= budget {
			out = append(out, segment{para: i, text: p, tokens: n})
			continue
		}
		var pieces []string
		for _, s := range arabic.Sentences(p) {
			if count.Count(s) > budget {
				pieces = append(pieces, strings.SplitAfter(s, " ")...)
			} else {
				pieces = append(pieces, s)
			}
		}
		var run strings.Builder
		runTokens := 0
		flush := func() {
			if t := strings.TrimSpace(run.String()); t != "" {
				out = append(out, segment{para: i, text: t, tokens: runTokens})
			}
			run.Reset()
			runTokens = 0
		}
		for _, piece := range pieces {
			t := count.Count(piece)
			if runTokens+t > budget {
				flush()
			}
			run.WriteString(piece)
			runTokens += t
		}
		flush()
	}
	return out
}

// chunks groups consecutive segments into calls of at most budget tokens,
// balanced so that parallel calls finish at about the same time: with k
// calls needed, each aims at a k-th of the total.
func chunks(segs []segment, budget int) [][]segment {
	total := 0
	for _, s := range segs {
		total += s.tokens
	}
	if total == 0 {
		return nil
	}
	k := (total + budget - 1) / budget
	target := min(budget, (total+k-1)/k)
	var out [][]segment
	var cur []segment
	size := 0
	for _, s := range segs {
		if len(cur) > 0 && (size+s.tokens > budget || size >= target) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, s)
		size += s.tokens
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// lastSentence is the final sentence of text, for a chunk's context.
func lastSentence(text string) string {
	s := arabic.Sentences(text)
	if len(s) == 0 {
		return ""
	}
	return strings.TrimSpace(s[len(s)-1])
}
