package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/chat"
)

// EnqueueCommand queues a chat command; the same command (by its ID) is
// queued once.
func (r *Runner) EnqueueCommand(ctx context.Context, cmd chat.Command) error {
	_, err := r.client.Insert(ctx, commandArgs{ID: cmd.ID, Command: cmd}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return fmt.Errorf("jobs: queue command: %w", err)
	}
	return nil
}

// DeliverBriefing queues a briefing for every configured destination and
// returns the deliveries' ids.
func (r *Runner) DeliverBriefing(ctx context.Context, b *gateway.Briefing) ([]int64, error) {
	return deliverBriefing(ctx, r.client, r.deps, b, r.deps.Destinations)
}

func deliverBriefing(ctx context.Context, client *river.Client[*sql.Tx], deps Deps, b *gateway.Briefing, targets []chat.Target) ([]int64, error) {
	var ids []int64
	for _, t := range targets {
		key := fmt.Sprintf("briefing:%s:%s:%s:%s", b.Date, b.TZ, b.GeneratedAt.Format("150405.000"), t.Name)
		id, err := queueDelivery(ctx, client, deps, gateway.Delivery{Key: key, Kind: "briefing"}, t, chat.BriefingParts(t, b))
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// queueDelivery records a delivery and queues its job. Both steps are
// idempotent by key, so a retried caller does neither twice.
func queueDelivery(ctx context.Context, client *river.Client[*sql.Tx], deps Deps, d gateway.Delivery, t chat.Target, parts [][]byte) (int64, error) {
	target, err := json.Marshal(t)
	if err != nil {
		return 0, err
	}
	d.Platform, d.Destination = t.Platform, t.Name
	id, _, err := deps.Store.CreateDelivery(ctx, d, target, parts)
	if err != nil {
		return 0, err
	}
	if _, err := client.Insert(ctx, deliverArgs{DeliveryID: id}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
		return 0, fmt.Errorf("jobs: queue delivery: %w", err)
	}
	return id, nil
}

// commandArgs runs a chat command and queues its answer.
type commandArgs struct {
	ID      string       `json:"id" river:"unique"`
	Command chat.Command `json:"command"`
}

func (commandArgs) Kind() string { return "chat_command" }

type commandWorker struct {
	river.WorkerDefaults[commandArgs]
	deps Deps
}

func (w *commandWorker) Work(ctx context.Context, job *river.Job[commandArgs]) error {
	cmd := job.Args.Command
	reply := w.deps.Chat.Reply(ctx, cmd)
	_, err := queueDelivery(ctx, river.ClientFromContext[*sql.Tx](ctx), w.deps,
		gateway.Delivery{Key: "reply:" + cmd.ID, Kind: "reply"}, cmd.Reply, chat.Render(cmd.Reply, reply))
	return err
}

// deliverArgs posts one delivery, part by part.
type deliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

func (deliverArgs) Kind() string { return "deliver" }

type deliverWorker struct {
	river.WorkerDefaults[deliverArgs]
	deps Deps
}

// Work sends the parts not sent yet, in order, recording each as it goes:
// a retry resumes after the last part that was posted, so nothing is
// posted twice. A rate limit snoozes the job for the time the platform
// asks; a refusal ends it.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	store := w.deps.Store
	d, rawTarget, parts, err := store.DeliveryWork(ctx, job.Args.DeliveryID)
	if err != nil {
		return err
	}
	if d.Status != gateway.DeliveryPending {
		return nil
	}
	var t chat.Target
	if err := json.Unmarshal(rawTarget, &t); err != nil {
		return river.JobCancel(err)
	}
	sent := d.PartsSent
	for ; sent < len(parts); sent++ {
		err := w.deps.Sender.Send(ctx, t, d.Key, sent, parts[sent])
		if err == nil {
			if err := store.UpdateDelivery(ctx, d.ID, sent+1, gateway.DeliveryPending, "", false); err != nil {
				return err
			}
			continue
		}
		status := gateway.DeliveryPending
		var permanent *chat.Permanent
		var limited *chat.RetryAfter
		final := errors.As(err, &permanent) || job.Attempt >= job.MaxAttempts
		if final {
			status = gateway.DeliveryFailed
		}
		if uerr := store.UpdateDelivery(ctx, d.ID, sent, status, err.Error(), true); uerr != nil {
			return uerr
		}
		w.deps.Logger.Warn("delivery failed", "delivery_id", d.ID, "destination", d.Destination, "part", sent, "attempt", job.Attempt, "error", err)
		switch {
		case permanent != nil:
			return river.JobCancel(err)
		case errors.As(err, &limited):
			return river.JobSnooze(limited.After)
		}
		return err
	}
	if err := store.UpdateDelivery(ctx, d.ID, sent, gateway.DeliveryDelivered, "", true); err != nil {
		return err
	}
	w.deps.Logger.Info("delivered", "delivery_id", d.ID, "destination", d.Destination, "parts", sent)
	return nil
}
