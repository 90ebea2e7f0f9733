package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/sync/errgroup"

	"github.com/dragoman-news/dragoman/cache"
	"github.com/dragoman-news/dragoman/prompts"
)

// maxNotes bounds the notes taken on each part of a long article.
const maxNotes = 8

// Summarize writes a headline and bullets for an article. An article longer
// than one call's budget is summarized in two steps: notes on each part, in
// parallel, then the summary of the notes.
func (s *Service) Summarize(ctx context.Context, req SummarizeRequest) (*Summary, error) {
	if err := s.Ready(); err != nil {
		return nil, err
	}
	if err := req.validate(s.cfg.Limits); err != nil {
		return nil, err
	}
	art, err := s.prepare(&req.Article)
	if err != nil {
		return nil, err
	}
	key := cache.NewKey(cache.Parts{
		Task: "summarize", Text: art.text, Options: s.options(art, map[string]string{"bullets": strconv.Itoa(req.Bullets)}),
		Model: s.cfg.SummaryModel, PromptHash: s.summarizeHash,
	})
	sum, src, err := cached(ctx, s, key, req.Refresh, "summary", func(ctx context.Context, _ func(StreamEvent)) (*Summary, error) {
		if err := s.selectTerms(art); err != nil {
			return nil, err
		}
		return s.summarize(ctx, art, req.Bullets)
	}, nil)
	if err != nil {
		return nil, err
	}
	switch src {
	case cache.Hit:
		sum.Cached, sum.Usage = true, Usage{}
	case cache.Shared:
		sum.Coalesced, sum.Usage = true, Usage{}
	}
	return sum, nil
}

func (s *Service) summarize(ctx context.Context, art *prepared, bullets int) (*Summary, error) {
	text, source := art.text, art.source.Name
	var usage Usage
	if s.tokens.Count(art.text) > s.cfg.SummaryChunkTokens {
		notes, used, err := s.notes(ctx, art)
		usage = used
		if err != nil {
			return nil, err
		}
		text = "- " + strings.Join(notes, "\n- ")
		source = fmt.Sprintf("%s notes on a long article in %s", art.target.Name, art.source.Name)
	}
	d := promptData{
		Source: source, Target: art.target.Name, Nonce: nonce(text), Text: text,
		Glossary: art.terms, Bullets: bullets,
	}
	doc, used, err := s.askBullets(ctx, "summarize", "summary", d)
	usage = usage.Add(used)
	if err != nil {
		return nil, err
	}
	return &Summary{
		Headline:   doc.Headline,
		Bullets:    doc.Bullets,
		SourceLang: art.source.Code,
		TargetLang: art.target.Code,
		Model:      s.cfg.SummaryModel,
		Demo:       s.cfg.Demo,
		Usage:      usage,
	}, nil
}

// notes is the map step: notes on each part of a long article, in order.
func (s *Service) notes(ctx context.Context, art *prepared) ([]string, Usage, error) {
	parts := chunks(segments(art.paras, s.tokens, s.cfg.SummaryChunkTokens), s.cfg.SummaryChunkTokens)
	notes := make([][]string, len(parts))
	usages := make([]Usage, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.ChunkConcurrency)
	for i, part := range parts {
		g.Go(func() error {
			texts := make([]string, len(part))
			for j, sg := range part {
				texts[j] = sg.text
			}
			text := strings.Join(texts, "\n\n")
			d := promptData{Source: art.source.Name, Target: art.target.Name, Nonce: nonce(text), Text: text, Glossary: art.terms, MaxNotes: maxNotes}
			msgs, err := s.render("notes.system", "notes.user", d)
			if err != nil {
				return err
			}
			var doc notesDoc
			usages[i], err = s.ask(gctx, ChatRequest{
				Model: s.cfg.SummaryModel, Messages: msgs, MaxTokens: s.cfg.MaxOutputTokens,
				JSON: &JSONSchema{Name: "notes", Schema: s.summary.notesBytes},
			}, func(resp ChatResponse) *Error {
				var verr *Error
				doc, verr = s.summary.checkNotes(resp)
				return verr
			}, func(problem *Error) (string, error) {
				return "Your answer was rejected: " + problemSentence(problem) + ` Answer again with only the JSON object {"notes": [...]}.`, nil
			})
			notes[i] = doc.Notes
			return err
		})
	}
	err := g.Wait()
	var all []string
	var usage Usage
	for i := range parts {
		all = append(all, notes[i]...)
		usage = usage.Add(usages[i])
	}
	return all, usage, err
}

// summarySchemas are the answer schemas: the summary schema once per bullet
// count (its list must hold exactly that many), and the notes schema.
type summarySchemas struct {
	bullets    map[int][]byte // bullet count -> schema sent to the model
	summary    *jsonschema.Schema
	notes      *jsonschema.Schema
	notesBytes []byte
}

func compileSummarySchemas(p *prompts.Set) (summarySchemas, error) {
	var out summarySchemas
	raw, err := p.Schema("summary.schema.json")
	if err != nil {
		return out, err
	}
	if out.summary, err = compileSchema("summary.schema.json", raw); err != nil {
		return out, err
	}
	out.bullets = map[int][]byte{}
	for n := MinBullets; n <= MaxBullets; n++ {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return out, err
		}
		props, _ := doc["properties"].(map[string]any)
		list, ok := props["bullets"].(map[string]any)
		if !ok {
			return out, fmt.Errorf("gateway: summary.schema.json has no bullets property")
		}
		list["minItems"], list["maxItems"] = n, n
		if out.bullets[n], err = json.Marshal(doc); err != nil {
			return out, err
		}
	}
	if out.notesBytes, err = p.Schema("notes.schema.json"); err != nil {
		return out, err
	}
	out.notes, err = compileSchema("notes.schema.json", out.notesBytes)
	return out, err
}

func compileSchema(name string, raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("gateway: %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		return nil, fmt.Errorf("gateway: %s: %w", name, err)
	}
	return c.Compile(name)
}

type summaryDoc struct {
	Headline string   `json:"headline"`
	Bullets  []string `json:"bullets"`
}

type notesDoc struct {
	Notes []string `json:"notes"`
}

// checkSummary validates a summary answer: a JSON object matching the
// schema, with exactly the bullets asked for, in the target script.
func (sc summarySchemas) checkSummary(resp ChatResponse, bullets int) (summaryDoc, *Error) {
	var doc summaryDoc
	if err := parseJSONAnswer(resp, sc.summary, &doc); err != nil {
		return doc, err
	}
	if len(doc.Bullets) != bullets {
		return doc, Errorf(CodeWrongBulletCount, "The answer has %d bullets; %d were asked for.", len(doc.Bullets), bullets)
	}
	doc.Headline = strings.Join(strings.Fields(doc.Headline), " ")
	if doc.Headline == "" {
		return doc, Errorf(CodeInvalidAnswer, "The answer's headline is empty.")
	}
	for i, b := range doc.Bullets {
		if doc.Bullets[i] = sentenceCase(cleanBullet(b)); doc.Bullets[i] == "" {
			return doc, Errorf(CodeInvalidAnswer, "Bullet %d of the answer is empty.", i+1)
		}
	}
	if err := checkScript(doc.Headline + "\n" + strings.Join(doc.Bullets, "\n")); err != nil {
		return doc, err
	}
	return doc, nil
}

func (sc summarySchemas) checkNotes(resp ChatResponse) (notesDoc, *Error) {
	var doc notesDoc
	if err := parseJSONAnswer(resp, sc.notes, &doc); err != nil {
		return doc, err
	}
	var kept []string
	for _, n := range doc.Notes {
		if n = cleanBullet(n); n != "" {
			kept = append(kept, n)
		}
	}
	if len(kept) == 0 {
		return doc, Errorf(CodeAnswerEmpty, "The answer holds no notes.")
	}
	doc.Notes = kept
	return doc, checkScript(strings.Join(kept, "\n"))
}

// parseJSONAnswer reads a JSON answer strictly: after stripping a reasoning
// block and code fence, the whole answer must be one JSON object that
// matches the schema.
func parseJSONAnswer(resp ChatResponse, schema *jsonschema.Schema, out any) *Error {
	if err := checkFinish(resp); err != nil {
		return err
	}
	text := clean(resp.Content)
	if text == "" {
		return Errorf(CodeAnswerEmpty, "The model's answer was empty.")
	}
	if isRefusal(text, 0) {
		return Errorf(CodeModelRefused, "The model refused: %q", clip(text, 200))
	}
	if !strings.HasPrefix(text, "{") || !strings.HasSuffix(text, "}") {
		return Errorf(CodeInvalidAnswer, "The answer is not a JSON object.")
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return Wrap(CodeInvalidAnswer, err, "The answer is not valid JSON.")
	}
	if err := schema.Validate(inst); err != nil {
		return Wrap(CodeInvalidAnswer, err, "The answer does not match its schema: "+clip(strings.Join(strings.Fields(err.Error()), " "), 300))
	}
	if err := json.Unmarshal([]byte(text), out); err != nil {
		return Wrap(CodeInvalidAnswer, err, "The answer does not match its schema.")
	}
	return nil
}

// sentenceCase capitalizes the first letter and ends with a full stop, so
// that every bullet reads as a sentence.
func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	s = string(r)
	if !strings.ContainsRune(".!?\"”'’)", r[len(r)-1]) {
		s += "."
	}
	return s
}

// askBullets asks the model for a headline and exactly d.Bullets bullets
// with the prompts named task, checks the answer like a summary and asks
// once more, with the problem named, when it fails the checks.
func (s *Service) askBullets(ctx context.Context, task, schema string, d promptData) (summaryDoc, Usage, error) {
	var doc summaryDoc
	msgs, err := s.render(task+".system", task+".user", d)
	if err != nil {
		return doc, Usage{}, err
	}
	usage, err := s.ask(ctx, ChatRequest{
		Model: s.cfg.SummaryModel, Messages: msgs, MaxTokens: s.cfg.MaxOutputTokens,
		JSON: &JSONSchema{Name: schema, Schema: s.summary.bullets[d.Bullets]},
	}, func(resp ChatResponse) *Error {
		var verr *Error
		doc, verr = s.summary.checkSummary(resp, d.Bullets)
		return verr
	}, func(problem *Error) (string, error) {
		d.Problem = problemSentence(problem)
		return s.prompts.Render("summarize.correct", d)
	})
	return doc, usage, err
}
