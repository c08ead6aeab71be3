package espeak

import (
	"math"
	"math/bits"

	"github.com/mewkiz/flac/frame"
)

// Bounds of the linear prediction tried per subframe.
const (
	lpcMaxOrder  = 12 // highest order of the linear predictors tried
	lpcPrecision = 12 // bits of a quantized predictor coefficient
	maxPartOrder = 6  // at most 64 Rice partitions
)

// lpcOrders are the orders of the linear predictors tried beside the
// fixed ones: speech is predicted far better than by a polynomial.
var lpcOrders = []int{4, 8, lpcMaxOrder}

// predict chooses how a subframe is coded, as a FLAC encoder does: a
// constant, a fixed polynomial predictor (orders 0–4) or a linear
// predictor fitted to the block (Levinson–Durbin on its windowed
// autocorrelation, coefficients quantized), each with its residual in
// the Rice partitions that cost fewest bits; whichever is estimated
// smallest. A subframe left verbatim goes to the encoder's own analysis.
func predict(sf *frame.Subframe, bps uint) {
	x := sf.Samples
	n := len(x)
	if n < 2*lpcMaxOrder {
		return
	}
	constant := true
	for _, v := range x[1:] {
		if v != x[0] {
			constant = false
			break
		}
	}
	if constant {
		sf.Pred = frame.PredConstant
		return
	}
	best := struct {
		bits   int
		order  int
		coeffs []int32
		shift  int32
		rice   *frame.RiceSubframe
		method frame.ResidualCodingMethod
		fir    bool
	}{bits: n * int(bps)} // verbatim
	res := make([]int32, n)
	try := func(order int, coeffs []int32, shift int32, fir bool) {
		residuals(x, coeffs, shift, res[:n-order])
		rice, method, cost := partition(res[:n-order], n, order, bps)
		cost += order * int(bps)
		if fir {
			cost += 4 + 5 + order*lpcPrecision
		}
		if cost < best.bits {
			best.bits, best.order, best.coeffs, best.shift, best.rice, best.method, best.fir = cost, order, coeffs, shift, rice, method, fir
		}
	}
	for order := 0; order <= 4; order++ {
		try(order, frame.FixedCoeffs[order], 0, false)
	}
	for _, lpc := range fitLPC(x) {
		try(len(lpc.coeffs), lpc.coeffs, lpc.shift, true)
	}
	if best.rice == nil {
		return // verbatim: the encoder's analysis has the last word
	}
	sf.Order, sf.RiceSubframe, sf.ResidualCodingMethod = best.order, best.rice, best.method
	sf.Pred = frame.PredFixed
	if best.fir {
		sf.Pred, sf.Coeffs, sf.CoeffShift, sf.CoeffPrec = frame.PredFIR, best.coeffs, best.shift, lpcPrecision
	}
}

// residuals writes what the predictor misses: x[i] less the prediction
// from the order samples before it, as FLAC decoders compute it.
func residuals(x, coeffs []int32, shift int32, out []int32) {
	order := len(coeffs)
	for i := order; i < len(x); i++ {
		var p int64
		for j, c := range coeffs {
			p += int64(c) * int64(x[i-j-1])
		}
		out[i-order] = x[i] - int32(p>>uint(shift))
	}
}

// partition chooses the Rice partition order and the parameter of each
// partition that code the residuals in the fewest bits (estimated from
// each partition's mean), for a block of n samples whose first order
// samples are stored as they are.
func partition(res []int32, n, order int, bps uint) (*frame.RiceSubframe, frame.ResidualCodingMethod, int) {
	method, paramBits, maxParam := frame.ResidualCodingMethodRice1, 4, uint(14)
	if bps > 16 {
		method, paramBits, maxParam = frame.ResidualCodingMethodRice2, 5, 30
	}
	var best *frame.RiceSubframe
	bestBits := math.MaxInt
	for po := 0; po <= maxPartOrder; po++ {
		parts := 1 << po
		if n%parts != 0 || n/parts <= order {
			break
		}
		rs := &frame.RiceSubframe{PartOrder: po, Partitions: make([]frame.RicePartition, parts)}
		cost, at := 4, 0
		for p := range parts {
			size := n / parts
			if p == 0 {
				size -= order
			}
			var sum uint64
			for _, r := range res[at : at+size] {
				sum += uint64(zigzag(r))
			}
			at += size
			k := riceParam(sum, size, maxParam)
			rs.Partitions[p].Param = k
			cost += paramBits + size*(int(k)+1) + int(sum>>k)
		}
		if cost < bestBits {
			best, bestBits = rs, cost
		}
	}
	return best, method, bestBits + 2
}

func zigzag(r int32) uint32 { return uint32(r<<1) ^ uint32(r>>31) }

// riceParam is the Rice parameter for values of the given sum and count:
// about log2 of their mean.
func riceParam(sum uint64, count int, maxParam uint) uint {
	if count == 0 || sum < uint64(count) {
		return 0
	}
	k := uint(bits.Len64(sum/uint64(count))) - 1
	return min(k, maxParam)
}

// quantized is a linear predictor in FLAC's integer form.
type quantized struct {
	coeffs []int32
	shift  int32
}

// fitLPC fits linear predictors of the orders tried to a block: the
// autocorrelation of the block under a Welch window, Levinson–Durbin for
// the coefficients of every order, each quantized to lpcPrecision bits.
func fitLPC(x []int32) []quantized {
	n := len(x)
	w := make([]float64, n)
	half := float64(n-1) / 2
	for i, v := range x {
		d := (float64(i) - half) / half
		w[i] = float64(v) * (1 - d*d)
	}
	var r [lpcMaxOrder + 1]float64
	for lag := range r {
		for i := lag; i < n; i++ {
			r[lag] += w[i] * w[i-lag]
		}
	}
	if r[0] == 0 {
		return nil
	}
	var out []quantized
	a := make([]float64, lpcMaxOrder)
	prev := make([]float64, lpcMaxOrder)
	e := r[0]
	for m := 1; m <= lpcMaxOrder; m++ {
		acc := r[m]
		for j := 0; j < m-1; j++ {
			acc -= a[j] * r[m-1-j]
		}
		k := acc / e
		copy(prev, a)
		a[m-1] = k
		for j := 0; j < m-1; j++ {
			a[j] = prev[j] - k*prev[m-2-j]
		}
		e *= 1 - k*k
		if e <= 0 || math.IsNaN(e) {
			break
		}
		for _, order := range lpcOrders {
			if order == m {
				if q, ok := quantize(a[:m]); ok {
					out = append(out, q)
				}
			}
		}
	}
	return out
}

// quantize turns coefficients into integers of lpcPrecision bits with the
// largest shift (at most 15) that keeps them in range, carrying each
// rounding error into the next coefficient.
func quantize(a []float64) (quantized, bool) {
	cmax := 0.0
	for _, c := range a {
		cmax = max(cmax, math.Abs(c))
	}
	if cmax == 0 || math.IsInf(cmax, 0) || math.IsNaN(cmax) {
		return quantized{}, false
	}
	_, exp := math.Frexp(cmax) // cmax = f·2^exp, 0.5 ≤ f < 1
	shift := lpcPrecision - 1 - exp
	if shift < 0 {
		return quantized{}, false
	}
	shift = min(shift, 15)
	limit := float64(int32(1)<<(lpcPrecision-1) - 1)
	q := quantized{coeffs: make([]int32, len(a)), shift: int32(shift)}
	carry := 0.0
	for i, c := range a {
		v := c*float64(int(1)<<shift) + carry
		r := math.Round(v)
		r = max(-limit-1, min(limit, r))
		carry = v - r
		q.coeffs[i] = int32(r)
	}
	return q, true
}
