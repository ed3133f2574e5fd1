// Synchronous argument checks on the JS thread: a wrong type throws a TypeError
// naming the argument, before any work is queued.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ballast {

std::string ArgString(const Napi::CallbackInfo& info, size_t index, const char* name);
// A non-empty string (UUIDs, names, URIs, XML).
std::string ArgNonEmptyString(const Napi::CallbackInfo& info, size_t index, const char* name);
// An optional string; `present` tells whether it was given (undefined/null = absent).
std::string ArgOptionalString(const Napi::CallbackInfo& info, size_t index, const char* name,
                              bool* present);
// A non-negative integer up to `max`.
uint64_t ArgUint(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t max);
// A signed integer within [min, max].
int64_t ArgInt(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min,
               int64_t max);
// Optional flags (unsigned 32-bit); `fallback` when undefined.
uint32_t ArgFlags(const Napi::CallbackInfo& info, size_t index, const char* name,
                  uint32_t fallback);
bool ArgBool(const Napi::CallbackInfo& info, size_t index, const char* name, bool fallback);
// An array of non-negative integers each up to `max`.
std::vector<uint32_t> ArgUintArray(const Napi::CallbackInfo& info, size_t index, const char* name,
                                   uint32_t max);
// An array of non-empty strings (e.g. UUIDs).
std::vector<std::string> ArgStringArray(const Napi::CallbackInfo& info, size_t index,
                                        const char* name);
Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t index, const char* name);
Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t index, const char* name);

// Largest integer a JS number holds exactly.
constexpr uint64_t kMaxSafeInteger = 9007199254740991ULL;

}  // namespace ballast
