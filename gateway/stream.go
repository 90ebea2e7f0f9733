package gateway

import (
	"strings"
	"sync"
)

// StreamEvent is one step of a streamed translation. Applying the events in
// order gives the translation: a delta appends Text; a rewind first drops
// every delta after the first Keep (a part of the answer that failed its
// check is sent again, corrected).
type StreamEvent struct {
	Rewind bool
	Keep   int
	Text   string
}

// sequencer streams the parts of a translation in order while they are
// translated in parallel. The part at the head streams live; later parts
// buffer until it completes. When a part completes, what was streamed of it
// is checked against its final text and corrected with a rewind if they
// differ (a retry, a stripped preamble), so that the deltas always add up to
// the answer.
type sequencer struct {
	mu    sync.Mutex
	emit  func(StreamEvent)
	parts []*part
	cur   int // the part streaming live
	sent  int // deltas emitted so far
}

type part struct {
	joiner string   // text between the previous part and this one
	buf    []string // deltas received before the part reached the head
	live   strings.Builder
	start  int // deltas emitted before the part reached the head
	began  bool
	final  string
	done   bool
}

// newSequencer makes a sequencer for parts with the given joiners. Parts
// already known (from the translation memory) are completed with finish.
func newSequencer(joiners []string, emit func(StreamEvent)) *sequencer {
	s := &sequencer{emit: emit}
	for _, j := range joiners {
		s.parts = append(s.parts, &part{joiner: j})
	}
	return s
}

// delta records text streamed for part i.
func (s *sequencer) delta(i int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.parts[i]
	switch {
	case p.done || text == "":
	case i == s.cur:
		s.send(p, text)
	default:
		p.buf = append(p.buf, text)
	}
}

// restart discards what part i streamed so far.
func (s *sequencer) restart(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.parts[i]
	if i != s.cur {
		p.buf = nil
		return
	}
	s.rewind(p)
}

// finish completes part i with its final text.
func (s *sequencer) finish(i int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.parts[i]
	p.final, p.done, p.buf = text, true, nil
	s.pump()
}

// start streams the head: call it once, after finishing the known parts.
func (s *sequencer) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pump()
}

// pump settles completed parts at the head and makes the next one live.
func (s *sequencer) pump() {
	for s.cur < len(s.parts) {
		p := s.parts[s.cur]
		if !p.done {
			for _, d := range p.buf {
				s.send(p, d)
			}
			p.buf = nil
			return
		}
		if p.live.String() != p.joiner+p.final {
			s.rewind(p)
			s.send(p, p.final)
		}
		s.cur++
		if s.cur < len(s.parts) {
			s.parts[s.cur].start = s.sent
		}
	}
}

func (s *sequencer) send(p *part, text string) {
	if !p.began {
		text, p.began = p.joiner+text, true
	}
	p.live.WriteString(text)
	s.sent++
	s.emit(StreamEvent{Text: text})
}

func (s *sequencer) rewind(p *part) {
	if s.sent > p.start {
		s.emit(StreamEvent{Rewind: true, Keep: p.start})
		s.sent = p.start
	}
	p.live.Reset()
	p.began = false
}

// thinkFilter holds back a reasoning block at the start of a streamed
// answer, so that a reader never sees it; the final check strips it too.
type thinkFilter struct {
	next    func(string)
	pending strings.Builder
	state   thinkState
}

type thinkState int

const (
	deciding  thinkState = iota // not yet known whether the answer opens with <think>
	thinking                    // inside the block
	afterward                   // past the block, skipping white space
	passing                     // everything goes through
)

const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
)

func (f *thinkFilter) write(d string) {
	switch f.state {
	case passing:
		f.next(d)
		return
	case afterward:
		f.pass(d)
		return
	}
	f.pending.WriteString(d)
	buf := f.pending.String()
	if f.state == deciding {
		trimmed := strings.TrimLeft(buf, " \t\r\n")
		switch {
		case strings.HasPrefix(trimmed, thinkOpen):
			f.state = thinking
		case strings.HasPrefix(thinkOpen, trimmed):
			return // may still become <think>
		default:
			f.pending.Reset()
			f.state = passing
			f.next(buf)
			return
		}
	}
	if i := strings.Index(buf, thinkClose); i >= 0 {
		f.pending.Reset()
		f.state = afterward
		f.pass(buf[i+len(thinkClose):])
	}
}

// pass skips the white space after a reasoning block.
func (f *thinkFilter) pass(d string) {
	if d = strings.TrimLeft(d, " \t\r\n"); d != "" {
		f.state = passing
		f.next(d)
	}
}

func (f *thinkFilter) reset() {
	f.pending.Reset()
	f.state = deciding
}
