// Package espeak is the offline speech backend: it narrates a podcast
// script with the espeak-ng command (one voice per speaker) and stitches
// the lines into one FLAC file (lossless, read by browsers and players,
// about half the size of the WAV). It reads espeak-ng's RIFF/WAVE output
// itself and encodes with github.com/mewkiz/flac.
package espeak
