// Package espeak is the offline speech backend: it narrates a podcast
// script with the espeak-ng command (one voice per speaker), reads
// espeak-ng's RIFF/WAVE output itself, encodes each line as MP3 with the
// lame command (48 kbit/s mono: under a quarter of a FLAC's size, and the format
// production's Cloud Text-to-Speech answers, so players, the chapters and
// the exports treat both alike) and stitches the lines into one MP3
// (package mp3) with a short silence between them.
package espeak
