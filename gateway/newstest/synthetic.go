package newstest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/dragoman-news/dragoman/gateway/arabic"
	"github.com/dragoman-news/dragoman/gateway/ingest"
)

// Synthetic makes n distinct articles for one day from the sentences of
// the news day, for benchmarks: stories of one to nine articles, each story
// a sentence of its own and three paragraphs of two sentences drawn at
// random, and its other articles copies of the first with one paragraph
// changed and a line added (as outlets reprint a wire story).
// Deterministic for a seed. Stories drawn from one pool share some
// sentences, as real stories share phrasing; the clustering must still
// tell most of them apart.
func Synthetic(day []Article, n int, seed uint64) []ingest.Request {
	r := rand.New(rand.NewPCG(seed, 7))
	var pool []string
	for _, a := range day {
		for _, s := range arabic.Sentences(arabic.Normalize(a.Text)) {
			if s = strings.TrimSpace(s); len([]rune(s)) > 40 {
				pool = append(pool, s)
			}
		}
	}
	letters := []rune("ابتثجحخدذرزسشصضطظعغفقكلمنهوي")
	name := func() string { // an invented name, as each story has names of its own
		w := make([]rune, 5+r.IntN(3))
		for i := range w {
			w[i] = letters[r.IntN(len(letters))]
		}
		return string(w)
	}
	outlets := []string{"وكالة شينخوا", "الغد", "صحيفة الوطن", "سكاي نيوز عربية", "روسيا اليوم", "الجزيرة نت", "العربية", "الأهرام", "هسبريس"}
	start := time.Date(2025, 11, 4, 0, 0, 0, 0, time.UTC)
	var out []ingest.Request
	for story := 0; len(out) < n; story++ {
		names := make([]string, 12)
		for i := range names {
			names[i] = name()
		}
		// Every other word of four letters or more becomes one of the
		// story's own words: stories share phrasing, not whole sentences.
		sentence := func() string {
			words := strings.Fields(pool[r.IntN(len(pool))])
			for i := 1; i < len(words); i += 2 {
				if len([]rune(words[i])) >= 4 {
					words[i] = names[r.IntN(len(names))]
				}
			}
			return strings.Join(words, " ")
		}
		paragraph := func() string { return sentence() + " " + sentence() }
		paras := []string{fmt.Sprintf("%s %s %s: %d.", names[0], names[1], names[2], story)}
		for range 3 {
			paras = append(paras, paragraph())
		}
		copies := 1 + r.IntN(9)
		published := start.Add(time.Duration(r.IntN(20*60)) * time.Minute)
		for c := 0; c < copies && len(out) < n; c++ {
			text := append([]string(nil), paras...)
			if c > 0 {
				text[1+r.IntN(3)] = paragraph()
				text = append(text, fmt.Sprintf("وتابعت %s التطورات في التقرير رقم %d-%d.", outlets[c%len(outlets)], story, c))
			}
			out = append(out, ingest.Request{
				Text:        strings.Join(text, "\n\n"),
				Title:       names[0] + ": " + title(paras[1]),
				Source:      outlets[(story+c)%len(outlets)],
				URL:         fmt.Sprintf("https://news%d.example/story/%d/%d", (story+c)%len(outlets), story, c),
				PublishedAt: published.Add(time.Duration(c*17) * time.Minute).Format(time.RFC3339),
			})
		}
	}
	return out
}

// title is the first eight words of a paragraph.
func title(p string) string {
	words := strings.Fields(p)
	return strings.TrimRight(strings.Join(words[:min(8, len(words))], " "), "،,.")
}
