// Package espeak is the offline speech backend: it narrates a podcast
// script with the espeak-ng command (one voice per speaker) and stitches
// the lines into one WAV file. It reads and writes the RIFF/WAVE files
// itself (WAVDuration tells how long one plays).
package espeak
