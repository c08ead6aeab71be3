package queue_test

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/config"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/queue"
)

// TestMain runs the publisher against the Pub/Sub emulator; with -short
// the emulator tests skip themselves.
func TestMain(m *testing.M) { testenv.Main(m) }

// TestPubSubPublisherConformance publishes through queue.Publisher to the
// emulator and reads each kind's topic through a pull subscription.
func TestPubSubPublisherConformance(t *testing.T) {
	pipelinetest.PublisherConformance(t, func(t *testing.T) (pipeline.Publisher, pipelinetest.Inbox) {
		project := testenv.Project(t)
		client := testenv.PubSub(t, project)
		subs := map[content.Kind]string{}
		for _, kind := range content.Kinds() {
			topic := "projects/" + project + "/topics/" + queue.TopicFor(kind)
			_, err := client.TopicAdminClient.CreateTopic(t.Context(), &pubsubpb.Topic{Name: topic})
			require.NoError(t, err)
			sub := "projects/" + project + "/subscriptions/" + queue.TopicFor(kind) + "-conformance"
			_, err = client.SubscriptionAdminClient.CreateSubscription(t.Context(), &pubsubpb.Subscription{Name: sub, Topic: topic, AckDeadlineSeconds: 60})
			require.NoError(t, err)
			subs[kind] = sub
		}
		pub := queue.NewPublisher(client, nil, nil)
		t.Cleanup(pub.Stop)
		return pub, func(t *testing.T, kind content.Kind, n int) []pipeline.StepMessage {
			return pull(t, client, subs[kind], n)
		}
	})
}

// pull receives messages from a subscription until n have arrived (each
// is decoded as a step envelope), waiting at most a second per message
// for the next: the wait scales with what is expected.
func pull(t *testing.T, client *pubsub.Client, sub string, n int) []pipeline.StepMessage {
	t.Helper()
	var out []pipeline.StepMessage
	for len(out) < n {
		ctx, cancel := context.WithTimeout(t.Context(), time.Duration(n-len(out))*time.Second+5*time.Second)
		resp, err := client.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: sub, MaxMessages: int32(n - len(out))})
		cancel()
		require.NoError(t, err, "%d of %d messages arrived on %s", len(out), n, sub)
		var acks []string
		for _, m := range resp.ReceivedMessages {
			env, err := queue.DecodeEnvelope(m.Message.Data)
			require.NoError(t, err)
			require.Equal(t, env.JobID, m.Message.Attributes["job_id"], "the attributes name the job")
			out = append(out, env.Message())
			acks = append(acks, m.AckId)
		}
		if len(acks) > 0 {
			require.NoError(t, client.SubscriptionAdminClient.Acknowledge(t.Context(), &pubsubpb.AcknowledgeRequest{Subscription: sub, AckIds: acks}))
		}
	}
	return out
}

// TestStepsGoToTheirRegionsTopic: a step message naming a region goes to
// that region's topic of its kind; one naming this region, or none, to
// this region's.
func TestStepsGoToTheirRegionsTopic(t *testing.T) {
	project := testenv.Project(t)
	client := testenv.PubSub(t, project)
	subs := map[string]string{}
	for _, region := range []string{"west", "east"} {
		topic := "projects/" + project + "/topics/" + queue.TopicText + "-" + region
		_, err := client.TopicAdminClient.CreateTopic(t.Context(), &pubsubpb.Topic{Name: topic})
		require.NoError(t, err)
		subs[region] = "projects/" + project + "/subscriptions/text-" + region
		_, err = client.SubscriptionAdminClient.CreateSubscription(t.Context(), &pubsubpb.Subscription{Name: subs[region], Topic: topic, AckDeadlineSeconds: 60})
		require.NoError(t, err)
	}
	cfg := config.Config{Region: "west", TopicSuffix: "-west"}
	pub := queue.NewPublisher(client, cfg.TopicName, cfg.RegionTopicName)
	t.Cleanup(pub.Stop)

	for _, m := range []pipeline.StepMessage{
		{JobID: "jeast0001", Step: content.FormatOutline, Region: "east"},
		{JobID: "jwest0001", Step: content.FormatOutline, Region: "west"},
		{JobID: "jnone0001", Step: content.FormatOutline},
	} {
		require.NoError(t, pub.PublishStep(t.Context(), content.KindText, m))
	}
	east := pull(t, client, subs["east"], 1)
	assert.Equal(t, "jeast0001", east[0].JobID)
	assert.Equal(t, "east", east[0].Region)
	var west []string
	for _, m := range pull(t, client, subs["west"], 2) {
		west = append(west, m.JobID)
	}
	assert.ElementsMatch(t, []string{"jwest0001", "jnone0001"}, west)
}
