// Command hello is the functions framework's hello world, the baseline of
// a function's cold start in test/perf: a process that registers one HTTP
// function and serves it.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
)

func init() {
	functions.HTTP("Hello", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := funcframework.Start(port); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
