# Shared by the bench scripts (source it): medians and spreads of space- or line-separated
# numbers on stdin, for interleaved rounds.
#   median    the middle value (the mean of the two middle ones for an even count)
#   spread    "min–max", rounded to whole numbers
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f", lo, hi }'; }
