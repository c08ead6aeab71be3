package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/shared/client"
)

// clientFlags adds --api and --key to a command's flags and returns a
// function that makes the API client: flags first, then FACTORY_API_URL
// and FACTORY_API_KEY, then the local stack's state file.
func clientFlags(fs *flag.FlagSet) func() (*client.Client, error) {
	api := fs.String("api", os.Getenv("FACTORY_API_URL"), "API base URL (default: the local stack, or http://127.0.0.1:8080)")
	key := fs.String("key", os.Getenv("FACTORY_API_KEY"), "API key (default: the local stack's development key)")
	return func() (*client.Client, error) {
		base, cred := *api, *key
		if base == "" || cred == "" {
			if st, err := readState(); err == nil {
				if base == "" {
					base = st.APIURL
				}
				if cred == "" {
					cred = st.DevKey
				}
			}
		}
		if base == "" {
			base = "http://127.0.0.1:8080"
		}
		if cred == "" {
			return nil, errors.New("no API key: pass --key, set FACTORY_API_KEY, or start the local stack with `make run`")
		}
		return client.New(base, cred, httpClient()), nil
	}
}

// httpClient waits at most a minute for the API (or the storage behind a
// download link) to start answering; a download then takes as long as it
// takes.
func httpClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}

// readState reads the state file of a running `factory dev`.
func readState() (*devstack.State, error) {
	b, err := os.ReadFile(filepath.FromSlash(stateFile))
	if err != nil {
		return nil, err
	}
	var st devstack.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read %s: %w", stateFile, err)
	}
	return &st, nil
}
