package gateway

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dragoman-news/dragoman/gateway/arabic"
)

var (
	// thinkBlock matches a reasoning block, as Qwen3 and DeepSeek-R1 style
	// models emit before the answer; an unclosed one runs to the end.
	thinkBlock = regexp.MustCompile(`(?is)^\s*<(think|thinking|reasoning)>.*?(</(think|thinking|reasoning)>|\z)`)
	// fence matches an answer wrapped whole in a code fence.
	fence = regexp.MustCompile("(?s)^```[a-zA-Z]*[ \t]*\n(.*?)\n?```$")
	// preamble matches a first line that announces the answer.
	preamble = regexp.MustCompile(`(?i)^(sure[,!.]?\s*|certainly[,!.]?\s*|of course[,!.]?\s*)?(here(’|')?s|here is|here are|below is|the following is)?\s*(the|a|an|my)?\s*(full |complete |faithful |english |french |requested )*(translation|summary|translated (text|article)|json( object)?)\b[^\n]{0,80}:\s*$`)
	// signOff matches a closing line addressed to the reader.
	signOff = regexp.MustCompile(`(?i)^(i hope this helps|let me know if|feel free to|please let me know|if you (need|have|would like))[^\n]*$`)
	// refusal matches the start of a refusal.
	refusal = regexp.MustCompile(`(?i)^\W*(i(’|')?m sorry|i am sorry|sorry, (but )?i|i can(’|')?t (help|assist|translate|summarize|comply|provide)|i cannot (help|assist|translate|summarize|comply|provide)|i(’|')?m (unable|not able) to|i am (unable|not able) to|as an ai\b|i won(’|')?t be able to)`)
)

// clean strips what models wrap around an answer: a reasoning block, a code
// fence, a preamble line ("Here is the translation:") and a sign-off line.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSpace(thinkBlock.ReplaceAllString(s, ""))
	if m := fence.FindStringSubmatch(s); m != nil {
		s = strings.TrimSpace(m[1])
	}
	if first, rest, ok := strings.Cut(s, "\n"); ok && preamble.MatchString(strings.TrimSpace(first)) {
		s = strings.TrimSpace(rest)
		if m := fence.FindStringSubmatch(s); m != nil {
			s = strings.TrimSpace(m[1])
		}
	}
	if i := strings.LastIndex(s, "\n"); i >= 0 && signOff.MatchString(strings.TrimSpace(s[i+1:])) {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// checkFinish turns a finish reason or refusal into an error.
func checkFinish(resp ChatResponse) *Error {
	switch {
	case resp.FinishReason == "length":
		return Errorf(CodeAnswerTruncated, "The model's answer was cut off at its token limit (DRAGOMAN_MAX_OUTPUT_TOKENS).")
	case resp.FinishReason == "content_filter" || strings.TrimSpace(resp.Refusal) != "":
		return Errorf(CodeModelRefused, "The model refused to answer (%s).", clip(firstNonEmpty(resp.Refusal, "content filter"), 200))
	}
	return nil
}

// isRefusal reports an answer that declines instead of answering: it opens
// like a refusal and is too short to be a translation of the source.
func isRefusal(answer string, sourceRunes int) bool {
	return refusal.MatchString(answer) && utf8.RuneCountInString(answer) < max(400, sourceRunes/2)
}

// splitParagraphs splits an answer into paragraphs. Models sometimes use
// single line breaks between paragraphs: when blank lines do not give the
// expected count and single breaks do, the single breaks are meant.
func splitParagraphs(s string, want int) []string {
	split := func(sep string) []string {
		var out []string
		for p := range strings.SplitSeq(s, sep) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	byBlank := split("\n\n")
	if len(byBlank) == want {
		return byBlank
	}
	if byLine := split("\n"); len(byLine) == want {
		return byLine
	}
	for i, p := range byBlank {
		byBlank[i] = strings.Join(strings.Fields(p), " ")
	}
	return byBlank
}

// minLengthRatio is the shortest a translated paragraph may be, in runes,
// against its source: English runs longer than Arabic, so an answer this
// short has lost text (or obeyed an instruction in the article).
const minLengthRatio = 0.3

// checkTranslation validates an answer against the source segments it
// translates, and returns the translated segments.
func checkTranslation(sources []string, resp ChatResponse) ([]string, *Error) {
	if err := checkFinish(resp); err != nil {
		return nil, err
	}
	answer := clean(resp.Content)
	if answer == "" {
		return nil, Errorf(CodeAnswerEmpty, "The model's answer was empty.")
	}
	sourceRunes := 0
	for _, s := range sources {
		sourceRunes += utf8.RuneCountInString(s)
	}
	if isRefusal(answer, sourceRunes) {
		return nil, Errorf(CodeModelRefused, "The model refused to translate: %q", clip(answer, 200))
	}
	if err := checkScript(answer); err != nil {
		return nil, err
	}
	parts := splitParagraphs(answer, len(sources))
	switch {
	case len(parts) < len(sources):
		return nil, Errorf(CodeParagraphsLost, "The answer has %d paragraphs where the source has %d: paragraphs were dropped or merged.", len(parts), len(sources))
	case len(parts) > len(sources):
		return nil, Errorf(CodeParagraphsSplit, "The answer has %d paragraphs where the source has %d: paragraphs were split or text was added.", len(parts), len(sources))
	}
	for i, src := range sources {
		if missing := missingNumbers(src, parts[i]); len(missing) > 0 {
			return nil, Errorf(CodeNumbersLost, "Paragraph %d of the answer lacks the number(s) %s from the source.", i+1, strings.Join(missing, ", "))
		}
		if n := utf8.RuneCountInString(src); n >= 30 && float64(utf8.RuneCountInString(parts[i])) < minLengthRatio*float64(n) {
			return nil, Errorf(CodeAnswerIncomplete, "Paragraph %d of the answer is far shorter than its source: text was left out.", i+1)
		}
	}
	return parts, nil
}

// checkScript rejects an answer with Arabic script left in it beyond names:
// more than a tenth of its letters, or a paragraph mostly in Arabic script.
func checkScript(answer string) *Error {
	if l := arabic.CountLetters(answer); l.Arabic > 10 && l.ArabicShare() > 0.1 {
		return Errorf(CodeWrongLanguage, "The answer is not in the target language: %.0f%% of its letters are in Arabic script.", 100*l.ArabicShare())
	}
	for p := range strings.SplitSeq(answer, "\n") {
		if l := arabic.CountLetters(p); l.Arabic > 10 && l.ArabicShare() > 0.5 {
			return Errorf(CodeWrongLanguage, "A paragraph of the answer was left in Arabic script: %q", clip(p, 80))
		}
	}
	return nil
}

var (
	number   = regexp.MustCompile(`[0-9]+(?:[.,][0-9]+)*`)
	dateLike = regexp.MustCompile(`\b[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}\b`)
)

// numbers returns the numbers of s, in any digit script, in a canonical
// form: ASCII digits, no thousands separators, no leading zeros. A date
// (2025-11-04, 4/11/2025) counts by its year only, since a translation may
// spell out its month.
func numbers(s string) []string {
	var out []string
	s = dateLike.ReplaceAllStringFunc(arabic.ASCIIDigits(s), func(date string) string {
		for _, part := range strings.FieldsFunc(date, func(r rune) bool { return r == '-' || r == '/' || r == '.' }) {
			if len(part) == 4 {
				out = append(out, part)
			}
		}
		return " "
	})
	for _, raw := range number.FindAllString(s, -1) {
		out = append(out, canonicalNumber(raw))
	}
	return out
}

// canonicalNumber drops thousands separators (1,500 and 1.500 are both
// written) and leading zeros, and keeps a decimal part.
func canonicalNumber(raw string) string {
	intPart, frac := raw, ""
	if i := strings.LastIndexAny(raw, ".,"); i >= 0 && len(raw)-i-1 != 3 {
		intPart, frac = raw[:i], raw[i+1:]
	}
	intPart = strings.TrimLeft(strings.NewReplacer(",", "", ".", "").Replace(intPart), "0")
	if intPart == "" {
		intPart = "0"
	}
	if frac != "" {
		return intPart + "." + frac
	}
	return intPart
}

// missingNumbers lists the numbers of src that translation lacks. A number
// counts as present inside a longer one ("10" in "10,000": "10 آلاف").
func missingNumbers(src, translation string) []string {
	have := numbers(translation)
	var missing []string
	for _, n := range numbers(src) {
		found := slices.ContainsFunc(have, func(h string) bool { return h == n || strings.Contains(h, n) })
		if !found && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	return missing
}

// cleanBullet strips list markers a model may put inside a bullet string.
func cleanBullet(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimLeftFunc(s, func(r rune) bool {
		return r == '-' || r == '*' || r == '•' || r == '·' || r == '–' || unicode.IsSpace(r)
	})
	if m := listNumber.FindStringIndex(s); m != nil {
		s = s[m[1]:]
	}
	return strings.Join(strings.Fields(s), " ")
}

var listNumber = regexp.MustCompile(`^[0-9]{1,2}[.)]\s+`)

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// problemSentence turns an error into the sentence a correction message
// gives the model.
func problemSentence(err *Error) string {
	return fmt.Sprintf("%s (%s).", strings.TrimSuffix(err.Detail, "."), err.Code)
}
