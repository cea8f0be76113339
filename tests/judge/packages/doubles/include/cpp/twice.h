#pragma once
inline long long twice(long long x) { return 2 * x; }
