package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/dragoman-news/dragoman/cache"
	"github.com/dragoman-news/dragoman/gateway/glossary"
)

// Translate translates an article. When stream is not nil it receives the
// translation as it is produced (see StreamEvent); an answer that was not
// produced (a cache hit) sends no event. The returned Translation is the
// checked, final answer either way.
func (s *Service) Translate(ctx context.Context, req TranslateRequest, stream func(StreamEvent)) (*Translation, error) {
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
		Task: "translate", Text: art.text, Options: s.options(art, nil),
		Model: s.cfg.TranslationModel, PromptHash: s.translateHash,
	})
	t, src, err := cached(ctx, s, key, req.Refresh, "translation", func(ctx context.Context, emit func(StreamEvent)) (*Translation, error) {
		if err := s.selectTerms(art); err != nil {
			return nil, err
		}
		return s.translate(ctx, art, emit, stream != nil, req.Refresh)
	}, stream)
	if err != nil {
		return nil, err
	}
	switch src {
	case cache.Hit:
		t.Cached, t.Usage = true, Usage{}
	case cache.Shared:
		t.Coalesced, t.Usage = true, Usage{}
	}
	return t, nil
}

// unit is a part of the translation in reading order: a paragraph found in
// the translation memory, or a chunk of segments for one model call.
type unit struct {
	known int // the paragraph, for a remembered one; -1 for a chunk
	segs  []segment
	first int // index in the article's segments of the chunk's first segment
}

// translate runs the pipeline for an article not in the cache.
// With refresh, the translation memory is not read either.
func (s *Service) translate(ctx context.Context, art *prepared, emit func(StreamEvent), streaming, refresh bool) (*Translation, error) {
	segs := segments(art.paras, s.tokens, s.cfg.ChunkTokens)
	keys := make([]cache.Key, len(art.paras))
	for i, p := range art.paras {
		keys[i] = s.paragraphKey(art, p)
	}
	memory := make([]string, len(art.paras))
	remembered := make([]bool, len(art.paras))
	if !refresh {
		found := s.cache.GetMany(ctx, keys)
		for i, k := range keys {
			if v, ok := found[k]; ok {
				memory[i], remembered[i] = string(v), true
			}
		}
	}

	var units []unit
	var pending []segment
	pendingFirst := 0
	flush := func() {
		for _, c := range chunks(pending, s.cfg.ChunkTokens) {
			units = append(units, unit{known: -1, segs: c, first: pendingFirst})
			pendingFirst += len(c)
		}
		pending = nil
	}
	for i, sg := range segs {
		if !remembered[sg.para] {
			if len(pending) == 0 {
				pendingFirst = i
			}
			pending = append(pending, sg)
			continue
		}
		flush()
		if n := len(units); n == 0 || units[n-1].known != sg.para {
			units = append(units, unit{known: sg.para})
		}
	}
	flush()

	joiners := make([]string, len(units))
	for i := 1; i < len(units); i++ {
		joiners[i] = "\n\n"
		if units[i].known < 0 && units[i-1].known < 0 && units[i].segs[0].para == units[i-1].segs[len(units[i-1].segs)-1].para {
			joiners[i] = " " // a long paragraph continues across chunks
		}
	}
	seq := newSequencer(joiners, emit)
	for i, u := range units {
		if u.known >= 0 {
			seq.finish(i, memory[u.known])
		}
	}
	seq.start()

	// Each paragraph's pieces, filled in as chunks complete; a paragraph is
	// remembered as soon as all its pieces are in.
	pieces := make([][]string, len(art.paras))
	left := make([]int, len(art.paras))
	for _, sg := range segs {
		if !remembered[sg.para] {
			left[sg.para]++
		}
	}
	var mu sync.Mutex
	var usage Usage

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.ChunkConcurrency)
	for i, u := range units {
		if u.known >= 0 {
			continue
		}
		g.Go(func() error {
			previous := ""
			if u.first > 0 {
				previous = lastSentence(segs[u.first-1].text)
			}
			var sink *liveSink
			if streaming {
				sink = &liveSink{seq: seq, part: i}
			}
			texts, used, err := s.translateChunk(gctx, art, u.segs, previous, sink)
			mu.Lock()
			usage = usage.Add(used)
			if err != nil {
				mu.Unlock()
				return err
			}
			var final strings.Builder
			var done []cache.Entry
			for j, sg := range u.segs {
				if j > 0 {
					final.WriteString(joinerBetween(u.segs[j-1], sg))
				}
				final.WriteString(texts[j])
				pieces[sg.para] = append(pieces[sg.para], texts[j])
				if left[sg.para]--; left[sg.para] == 0 {
					done = append(done, cache.Entry{Key: keys[sg.para], Value: []byte(strings.Join(pieces[sg.para], " "))})
				}
			}
			seq.finish(i, final.String())
			mu.Unlock()
			// Finished paragraphs are remembered at once, in one write, even
			// if another chunk fails later.
			s.cache.SetMany(ctx, done)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	out := make([]string, len(art.paras))
	for i := range art.paras {
		if remembered[i] {
			out[i] = memory[i]
		} else {
			out[i] = strings.Join(pieces[i], " ")
		}
	}
	text := strings.Join(out, "\n\n")
	return &Translation{
		Translation:    text,
		SourceLang:     art.source.Code,
		TargetLang:     art.target.Code,
		Model:          s.cfg.TranslationModel,
		Demo:           s.cfg.Demo,
		Paragraphs:     len(art.paras),
		Usage:          usage,
		GlossaryMissed: glossary.Missing(art.terms, text),
	}, nil
}

func joinerBetween(a, b segment) string {
	if a.para == b.para {
		return " "
	}
	return "\n\n"
}

// paragraphKey is the translation memory's key for one paragraph: it
// depends on the glossary terms of that paragraph only, so that a change
// elsewhere in the article does not invalidate it.
func (s *Service) paragraphKey(art *prepared, para string) cache.Key {
	terms, _ := json.Marshal(glossary.Within(art.terms, para))
	return cache.NewKey(cache.Parts{
		Task: "translate-paragraph", Text: para,
		Options: map[string]string{"source": art.source.Code, "target": art.target.Code, "glossary": string(terms)},
		Model:   s.cfg.TranslationModel, PromptHash: s.translateHash,
	})
}

// liveSink forwards one chunk's streamed text to the sequencer.
type liveSink struct {
	seq  *sequencer
	part int
}

// translateChunk translates the segments of one chunk in one call, checks
// the answer, and asks once more with a correction if it fails the check.
func (s *Service) translateChunk(ctx context.Context, art *prepared, segs []segment, previous string, sink *liveSink) ([]string, Usage, error) {
	sources := make([]string, len(segs))
	for i, sg := range segs {
		sources[i] = sg.text
	}
	text := strings.Join(sources, "\n\n")
	d := promptData{
		Source: art.source.Name, Target: art.target.Name, Nonce: nonce(text), Text: text,
		Paragraphs: len(segs), Previous: previous,
	}
	if !strings.Contains(text, art.title) {
		d.Title = art.title // context only where the chunk does not hold the title itself
	}
	// The glossary's renderings keep names the same across chunks; a chunk
	// needs those of the names it (or its context) mentions.
	d.Glossary = glossary.Within(art.terms, d.Title+"\n"+previous+"\n"+text)
	msgs, err := s.render("translate.system", "translate.user", d)
	if err != nil {
		return nil, Usage{}, err
	}
	req := ChatRequest{Model: s.cfg.TranslationModel, Messages: msgs, MaxTokens: s.cfg.MaxOutputTokens}
	if sink != nil {
		filter := &thinkFilter{next: func(t string) { sink.seq.delta(sink.part, t) }}
		req.Stream = filter.write
		req.Restart = func() {
			filter.reset()
			sink.seq.restart(sink.part)
		}
	}
	var parts []string
	usage, err := s.ask(ctx, req, func(resp ChatResponse) *Error {
		var verr *Error
		parts, verr = checkTranslation(sources, resp)
		return verr
	}, func(problem *Error) (string, error) {
		d.Problem = problemSentence(problem)
		return s.prompts.Render("correct", d)
	})
	return parts, usage, err
}

// ask sends req and checks the answer. An answer that fails its check goes
// back to the model once, with a correction; failing again is final. Usage
// counts every call, the failed ones too.
func (s *Service) ask(ctx context.Context, req ChatRequest, check func(ChatResponse) *Error, correct func(*Error) (string, error)) (Usage, error) {
	var usage Usage
	for attempt := 0; ; attempt++ {
		resp, err := s.model.Chat(ctx, req)
		usage = usage.Add(resp.Usage)
		if err != nil {
			return usage, err
		}
		verr := check(resp)
		if verr == nil {
			return usage, nil
		}
		if attempt == 1 {
			return usage, verr
		}
		if req.Restart != nil {
			req.Restart()
		}
		correction, err := correct(verr)
		if err != nil {
			return usage, err
		}
		req.Messages = append(slices.Clip(req.Messages),
			Message{Role: RoleAssistant, Content: resp.Content},
			Message{Role: RoleUser, Content: correction})
	}
}

// contextError turns the caller's own context ending into a service error.
func contextError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return Wrap(CodeClientClosed, err, "The client went away.")
	case errors.Is(err, context.DeadlineExceeded):
		return Wrap(CodeUpstreamTimeout, err, "The answer was not ready within the request timeout (DRAGOMAN_REQUEST_TIMEOUT).")
	}
	return err
}
