package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/shared/analytics"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
)

// runAnalytics computes the analytics of the local stack's job events:
// the figures the BigQuery views compute in production
// (terraform/analytics.tf), from the same events, read from the
// subscriptions that keep every region's job events (job-events-hold)
// without consuming them.
func runAnalytics(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("analytics", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	host := fs.String("pubsub", "", "the Pub/Sub emulator (default: the local stack's, or PUBSUB_EMULATOR_HOST)")
	project := fs.String("project", "", "the project (default: the local stack's, or GOOGLE_CLOUD_PROJECT)")
	subs := fs.String("subscriptions", "", "comma-separated subscriptions that keep the job events (default: the local stack's, or "+queue.HoldSubscription(queue.TopicEvents)+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if st, err := readState(); err == nil {
		*host = cmp.Or(*host, st.PubSubHost)
		*project = cmp.Or(*project, st.Project)
		*subs = cmp.Or(*subs, strings.Join(st.JobEventHolds, ","))
	}
	*host = cmp.Or(*host, os.Getenv("PUBSUB_EMULATOR_HOST"))
	*project = cmp.Or(*project, os.Getenv("GOOGLE_CLOUD_PROJECT"))
	*subs = cmp.Or(*subs, queue.HoldSubscription(queue.TopicEvents))
	if *host == "" || *project == "" {
		return errors.New("no local stack: start it with `make run`, or pass --pubsub and --project")
	}
	os.Setenv("PUBSUB_EMULATOR_HOST", *host)
	client, err := pubsub.NewClient(ctx, *project)
	if err != nil {
		return fmt.Errorf("pubsub client: %w", err)
	}
	defer client.Close()
	var events []pipeline.JobEvent
	for sub := range strings.SplitSeq(*subs, ",") {
		evs, err := readEvents(ctx, client, "projects/"+*project+"/subscriptions/"+sub)
		if err != nil {
			return err
		}
		events = append(events, evs...)
	}
	rep := analytics.Compute(events)
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(os.Stdout, rep)
	return nil
}

// readEvents reads every job event a pull subscription holds and hands
// them back undelivered: each pull leases what it returns, so the next
// returns the others, until a pull finds none.
func readEvents(ctx context.Context, client *pubsub.Client, sub string) ([]pipeline.JobEvent, error) {
	var events []pipeline.JobEvent
	var leased []string
	defer func() {
		if len(leased) > 0 {
			_ = client.SubscriptionAdminClient.ModifyAckDeadline(context.WithoutCancel(ctx), &pubsubpb.ModifyAckDeadlineRequest{
				Subscription: sub, AckIds: leased, AckDeadlineSeconds: 0,
			})
		}
	}()
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := client.SubscriptionAdminClient.Pull(pctx, &pubsubpb.PullRequest{Subscription: sub, MaxMessages: 1000})
		cancel()
		if status.Code(err) == codes.DeadlineExceeded || (err == nil && len(resp.ReceivedMessages) == 0) {
			return events, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", sub, err)
		}
		for _, m := range resp.ReceivedMessages {
			leased = append(leased, m.AckId)
			var ev pipeline.JobEvent
			if err := json.Unmarshal(m.Message.Data, &ev); err == nil && ev.ID != "" {
				events = append(events, ev)
			}
		}
	}
}

func printReport(w io.Writer, rep analytics.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d events, %d jobs\n\nSuccess rate per format\nday\tformat\tsteps\tsucceeded\trate\n", rep.Events, rep.Jobs)
	for _, r := range rep.SuccessByFormat {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f%%\n", r.Day, r.Format, r.Steps, r.Succeeded, 100*r.Rate)
	}
	fmt.Fprintf(tw, "\nCost per owner per day\nowner\tday\tjobs\tcost (USD)\n")
	for _, c := range rep.CostByOwner {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.4f\n", c.Owner, c.Day, c.Jobs, c.CostUSD)
	}
	fmt.Fprintf(tw, "\nJob time, 95th percentile (first runs)\nday\tjobs\tp95 (s)\n")
	for _, j := range rep.JobTime {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\n", j.Day, j.Jobs, j.P95Seconds)
	}
	fmt.Fprintf(tw, "\nPrompt versions\nstep\tprompt version\tsteps\tsuccess\tmean time (s)\tmean cost (USD)\n")
	for _, p := range rep.PromptVersions {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\t%.1f\t%.4f\n", p.Step, p.PromptVersion, p.Steps, 100*p.Rate, p.AvgDurationSeconds, p.AvgCostUSD)
	}
	tw.Flush()
}
