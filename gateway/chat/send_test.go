package chat

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSendErrorsKeepSecrets(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()
	s, err := NewSender(SenderConfig{HTTP: &http.Client{Timeout: time.Second}, DiscordAPI: closed + "/api",
		TelegramAPI: closed, TelegramBotToken: "999:secret-bot-token"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, target := range []Target{
		{Platform: Slack, Name: "Slack webhook", URL: closed + "/services/T0/B0/secret-webhook-path"},
		{Platform: Discord, Name: "Discord interaction", AppID: "app", Token: "secret-interaction-token"},
		{Platform: Telegram, Name: "Telegram chat 1", ChatID: "1"},
	} {
		part := []byte(`{"text":"x"}`)
		if target.Platform == Telegram {
			part = []byte(`{"chat_id":"1","text":"x"}`)
		}
		err := s.Send(ctx, target, "d1", 0, part)
		if err == nil {
			t.Fatalf("%s: sent to a closed port", target.Name)
		}
		for _, secret := range []string{"secret-webhook-path", "secret-interaction-token", "secret-bot-token"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error shows a secret: %v", target.Name, err)
			}
		}
	}
}

func TestSendSortsAnswers(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "3")
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	s, _ := NewSender(SenderConfig{HTTP: srv.Client()})
	target := Target{Platform: Mattermost, Name: "Mattermost webhook", URL: srv.URL}
	var limited *RetryAfter
	var permanent *Permanent
	for code, check := range map[int]func(error) bool{
		200: func(err error) bool { return err == nil },
		429: func(err error) bool { return errors.As(err, &limited) && limited.After == 3*time.Second },
		404: func(err error) bool { return errors.As(err, &permanent) },
		500: func(err error) bool { return err != nil && !errors.As(err, &permanent) && !errors.As(err, &limited) },
	} {
		status = code
		if err := s.Send(context.Background(), target, "d", 0, []byte(`{}`)); !check(err) {
			t.Errorf("status %d: %v", code, err)
		}
	}
}
