// Package cover is the offline image backend: it draws a procedural PNG
// cover from a hash of the title, with the title set in the Go fonts, and
// describes it in the alt text. It needs no network and no credentials.
package cover
