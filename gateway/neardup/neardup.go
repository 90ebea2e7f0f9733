// Package neardup recognizes texts that are near copies of each other (a
// wire story reprinted by many outlets with small edits) and texts about
// the same thing in other words. It works on Arabic under search
// normalization, so that diacritics, hamza spellings and digit scripts do
// not tell copies apart.
package neardup

import (
	"hash/fnv"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dragoman-news/dragoman/gateway/arabic"
)

// shingleSize is the number of words in a shingle: three words keep
// word order without letting one changed word break many shingles.
const shingleSize = 3

// Words returns the words of normalized text under search normalization.
func Words(normalized string) []string {
	return strings.FieldsFunc(arabic.FoldNormalized(normalized), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Shingles returns the hashes of the text's runs of three words.
func Shingles(words []string) map[uint64]struct{} {
	out := make(map[uint64]struct{}, len(words))
	if len(words) < shingleSize {
		if len(words) > 0 {
			out[hash(strings.Join(words, " "))] = struct{}{}
		}
		return out
	}
	for i := 0; i+shingleSize <= len(words); i++ {
		out[hash(strings.Join(words[i:i+shingleSize], " "))] = struct{}{}
	}
	return out
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// SimHash is a 64-bit fingerprint of a shingle set: similar sets have
// fingerprints a few bits apart.
func SimHash(shingles map[uint64]struct{}) uint64 {
	var v [64]int
	for s := range shingles {
		// Spread each shingle hash so that neighbouring values differ in
		// many bits.
		s = mix(s)
		for i := range 64 {
			if s&(1<<i) != 0 {
				v[i]++
			} else {
				v[i]--
			}
		}
	}
	var out uint64
	for i := range 64 {
		if v[i] > 0 {
			out |= 1 << i
		}
	}
	return out
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Distance is the number of bits in which two fingerprints differ.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Jaccard is the share of shingles two sets have in common.
func Jaccard(a, b map[uint64]struct{}) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	common := 0
	for s := range a {
		if _, ok := b[s]; ok {
			common++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

// Containment is the share of a's shingles found in b: an update that adds
// paragraphs to a story still contains most of the original.
func Containment(a, b map[uint64]struct{}) float64 {
	if len(a) == 0 {
		return 0
	}
	common := 0
	for s := range a {
		if _, ok := b[s]; ok {
			common++
		}
	}
	return float64(common) / float64(len(a))
}

// Thresholds for near copies: candidates within CandidateDistance bits,
// confirmed by shingle overlap.
const (
	CandidateDistance = 24
	MinJaccard        = 0.45
	MinContainment    = 0.7
)

// NearCopy reports whether two shingle sets are near copies: mostly the
// same shingles, or one mostly contained in the other (an update, or a
// copy cut short).
func NearCopy(a, b map[uint64]struct{}) bool {
	return Jaccard(a, b) >= MinJaccard || Containment(a, b) >= MinContainment || Containment(b, a) >= MinContainment
}

// Terms returns what a text is about: its words, light-stemmed so that
// الزلزال, بزلزال and زلزال count as one, and its numbers kept whole (5.8,
// not 5 and 8). Function words and words of two letters or fewer are left
// out.
func Terms(normalized string) []string {
	folded := arabic.FoldNormalized(normalized)
	var out []string
	for _, tok := range strings.FieldsFunc(folded, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != ','
	}) {
		tok = strings.Trim(tok, ".,")
		if tok == "" {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(tok); unicode.IsDigit(r) {
			out = append(out, strings.ReplaceAll(tok, ",", ""))
			continue
		}
		for _, w := range strings.FieldsFunc(tok, func(r rune) bool { return r == '.' || r == ',' }) {
			if stopwords[w] {
				continue
			}
			if w = stem(w); utf8.RuneCountInString(w) > 2 {
				out = append(out, w)
			}
		}
	}
	return out
}

var (
	prefixes = []string{"وال", "بال", "فال", "لل", "ال", "و", "ف", "ب", "ل"}
	suffixes = []string{"ات", "ون", "ين", "ان", "ها", "هم", "يه", "ه", "ي"}
)

// stem strips one clitic prefix and one suffix, keeping at least three
// letters (four after a one-letter prefix, which is as often part of the
// word): crude, but the same word gets the same stem, which is all that
// comparing texts needs.
func stem(w string) string {
	for _, p := range prefixes {
		least := 3
		if utf8.RuneCountInString(p) == 1 {
			least = 4
		}
		if rest, ok := strings.CutPrefix(w, p); ok && utf8.RuneCountInString(rest) >= least {
			w = rest
			break
		}
	}
	for _, s := range suffixes {
		if rest, ok := strings.CutSuffix(w, s); ok && utf8.RuneCountInString(rest) >= 3 {
			return rest
		}
	}
	return w
}

// Vector is a sparse TF-IDF vector of unit length, sorted by term.
type Vector []Weight

// Weight is one term's weight; terms are numbered within one Vectors call.
type Weight struct {
	Term int32
	W    float64
}

// minCorpus is the least number of texts inverse document frequency is
// computed as if over.
const minCorpus = 50

// Vectors weights each text's terms (see Terms) by TF-IDF over the given
// texts, for comparing what texts are about.
func Vectors(texts [][]string) []Vector {
	ids := map[string]int32{}
	df := map[int32]int{}
	counts := make([]map[int32]float64, len(texts))
	for i, words := range texts {
		counts[i] = map[int32]float64{}
		for _, w := range words {
			id, ok := ids[w]
			if !ok {
				id = int32(len(ids))
				ids[w] = id
			}
			if counts[i][id] == 0 {
				df[id]++
			}
			counts[i][id]++
		}
	}
	// A handful of texts (one outlet's day, two reports) would weigh the
	// very words they share as common; weigh them as a day's worth instead.
	n := max(float64(len(texts)), minCorpus)
	out := make([]Vector, len(texts))
	for i, tf := range counts {
		v := make(Vector, 0, len(tf))
		var norm float64
		for id, f := range tf {
			x := (1 + math.Log(f)) * math.Log(1+n/float64(df[id]))
			v = append(v, Weight{id, x})
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for j := range v {
			v[j].W /= norm
		}
		slices.SortFunc(v, func(a, b Weight) int { return int(a.Term - b.Term) })
		out[i] = v
	}
	return out
}

// Cosine is the similarity of two vectors from one Vectors call, 0 to 1.
func Cosine(a, b Vector) float64 {
	var dot float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].Term < b[j].Term:
			i++
		case a[i].Term > b[j].Term:
			j++
		default:
			dot += a[i].W * b[j].W
			i++
			j++
		}
	}
	return dot
}

// stopwords are frequent Arabic function words, in folded form.
var stopwords = map[string]bool{
	"في": true, "من": true, "الي": true, "علي": true, "عن": true, "مع": true, "ان": true, "او": true,
	"التي": true, "الذي": true, "هذا": true, "هذه": true, "ذلك": true, "تلك": true, "كان": true, "كانت": true,
	"قال": true, "قالت": true, "وقال": true, "وقالت": true, "اليوم": true, "بين": true, "بعد": true, "قبل": true,
	"خلال": true, "حيث": true, "كما": true, "لكن": true, "وفي": true, "ومن": true, "انه": true, "انها": true,
	"الذين": true, "حتي": true, "اذا": true, "اكثر": true, "عند": true, "منذ": true, "وان": true, "ولا": true,
	"the": true, "and": true, "that": true, "with": true, "for": true, "from": true, "said": true,
}

// SameEvent is the average cosine (see Cosine) from which two groups of
// texts are taken to report the same event. Calibrated on a day of Arabic
// news (testdata/day), with titles counted three times: reports of one
// event in other words score 0.20 to 0.5 pair by pair, unrelated ones at
// most 0.19. The margin is thin: this is lexical overlap, not meaning.
const SameEvent = 0.20
