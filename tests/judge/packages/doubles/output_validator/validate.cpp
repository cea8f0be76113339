#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>
#include "feedback.h"

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    std::ifstream in(argv[1]);
    long long n;
    in >> n;
    std::vector<long long> want(n), got;
    for (auto &x : want) { in >> x; x *= 2; }
    long long y;
    while (std::cin >> y) got.push_back(y);
    if (!std::cin.eof()) reject(argv[3], "output is not a list of integers");
    if ((long long)got.size() != n) reject(argv[3], "expected " + std::to_string(n) + " numbers, got " + std::to_string(got.size()));
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (want != got) reject(argv[3], "not the doubles of the input");
    return 42;
}
