// Package espeak is the offline speech backend: it narrates a podcast
// script with the espeak-ng command (one voice per speaker) and stitches
// the lines into one FLAC file (lossless, read by browsers and players,
// 0.58 of the WAV's size). It reads espeak-ng's RIFF/WAVE output
// itself and encodes with github.com/mewkiz/flac.
package espeak
