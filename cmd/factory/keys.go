package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"cloud.google.com/go/firestore"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/store"
)

// runKeys manages API keys directly in Firestore: the local stack's
// emulator when it runs, otherwise the project of GOOGLE_CLOUD_PROJECT
// with application default credentials.
func runKeys(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: factory keys create --owner NAME [--name LABEL] | keys list [--owner NAME] | keys revoke KEY_ID")
	}
	switch args[0] {
	case "create":
		return keysCreate(ctx, args[1:])
	case "list":
		return keysList(ctx, args[1:])
	case "revoke":
		return keysRevoke(ctx, args[1:])
	}
	return fmt.Errorf("unknown keys command %q (try: create, list, revoke)", args[0])
}

func keysList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keys list", flag.ContinueOnError)
	owner := fs.String("owner", "", "only this owner's keys")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Client().Close()
	keys, err := st.ListKeys(ctx, *owner)
	if err != nil {
		return err
	}
	fmt.Printf("%-12s  %-20s  %-20s  %-20s  %-20s  %s\n", "ID", "OWNER", "NAME", "CREATED", "LAST USED", "REVOKED")
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format(time.DateTime)
	}
	for _, k := range keys {
		fmt.Printf("%-12s  %-20s  %-20s  %-20s  %-20s  %s\n", k.ID, k.Owner, k.Name, stamp(k.CreatedAt), stamp(k.LastUsedAt), stamp(k.RevokedAt))
	}
	return nil
}

func keysRevoke(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keys revoke", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: factory keys revoke KEY_ID (the ID column of `factory keys list`)")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Client().Close()
	k, err := st.RevokeKey(ctx, pos[0], time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("key %s of %s revoked at %s; it stops working within %s everywhere\n", k.ID, k.Owner, k.RevokedAt.Local().Format(time.DateTime), auth.CacheTTL)
	return nil
}

func keysCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	owner := fs.String("owner", "", "the owner of the key and of the jobs it creates (required)")
	name := fs.String("name", "", "a label to recognize the key by")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *owner == "" {
		return errors.New("--owner is required")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Client().Close()
	plain, k, err := auth.NewKey(*owner, *name, time.Now())
	if err != nil {
		return err
	}
	if err := st.CreateKey(ctx, k); err != nil {
		return err
	}
	fmt.Printf("API key for %s (id %s). It is shown only this once:\n\n  %s\n", k.Owner, k.ID, plain)
	return nil
}

// openStore connects to the local stack's Firestore emulator, or to the
// project in the environment.
func openStore(ctx context.Context) (*store.Store, error) {
	project := os.Getenv("GOOGLE_CLOUD_PROJECT")
	if os.Getenv("FIRESTORE_EMULATOR_HOST") == "" {
		if s, err := readState(); err == nil {
			os.Setenv("FIRESTORE_EMULATOR_HOST", s.FirestoreHost)
			project = s.Project
		}
	}
	if project == "" {
		return nil, errors.New("no project: start the local stack (`make run`) or set GOOGLE_CLOUD_PROJECT")
	}
	fs, err := firestore.NewClient(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("connect to Firestore: %w", err)
	}
	return store.New(fs), nil
}
