#include "args.h"

#include <cmath>

namespace ballast {

namespace {

[[noreturn]] void Fail(const Napi::CallbackInfo& info, const char* name, const char* expected) {
  throw Napi::TypeError::New(info.Env(), std::string(name) + " must be " + expected);
}

bool IsAbsent(const Napi::Value& value) { return value.IsUndefined() || value.IsNull(); }

double IntegerValue(const Napi::CallbackInfo& info, size_t index, const char* name,
                    const char* expected) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) Fail(info, name, expected);
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::trunc(number) != number) Fail(info, name, expected);
  return number;
}

}  // namespace

std::string ArgString(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsString()) Fail(info, name, "a string");
  return value.As<Napi::String>().Utf8Value();
}

std::string ArgNonEmptyString(const Napi::CallbackInfo& info, size_t index, const char* name) {
  std::string text = ArgString(info, index, name);
  if (text.empty()) Fail(info, name, "a non-empty string");
  return text;
}

std::string ArgOptionalString(const Napi::CallbackInfo& info, size_t index, const char* name,
                              bool* present) {
  *present = !IsAbsent(info[index]);
  return *present ? ArgString(info, index, name) : std::string();
}

uint64_t ArgUint(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t max) {
  std::string expected = "a non-negative integer up to " + std::to_string(max);
  double number = IntegerValue(info, index, name, expected.c_str());
  if (number < 0 || number > static_cast<double>(max)) Fail(info, name, expected.c_str());
  return static_cast<uint64_t>(number);
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min,
               int64_t max) {
  std::string expected =
      "an integer between " + std::to_string(min) + " and " + std::to_string(max);
  double number = IntegerValue(info, index, name, expected.c_str());
  if (number < static_cast<double>(min) || number > static_cast<double>(max)) {
    Fail(info, name, expected.c_str());
  }
  return static_cast<int64_t>(number);
}

uint32_t ArgFlags(const Napi::CallbackInfo& info, size_t index, const char* name,
                  uint32_t fallback) {
  if (IsAbsent(info[index])) return fallback;
  return static_cast<uint32_t>(ArgUint(info, index, name, 0xFFFFFFFFULL));
}

bool ArgBool(const Napi::CallbackInfo& info, size_t index, const char* name, bool fallback) {
  Napi::Value value = info[index];
  if (IsAbsent(value)) return fallback;
  if (!value.IsBoolean()) Fail(info, name, "a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::vector<uint32_t> ArgUintArray(const Napi::CallbackInfo& info, size_t index, const char* name,
                                   uint32_t max) {
  Napi::Value value = info[index];
  std::string expected = "an array of non-negative integers up to " + std::to_string(max);
  if (!value.IsArray()) Fail(info, name, expected.c_str());
  Napi::Array array = value.As<Napi::Array>();
  std::vector<uint32_t> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsNumber()) Fail(info, name, expected.c_str());
    double number = item.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(number) || std::trunc(number) != number || number < 0 || number > max) {
      Fail(info, name, expected.c_str());
    }
    out.push_back(static_cast<uint32_t>(number));
  }
  return out;
}

std::vector<std::string> ArgStringArray(const Napi::CallbackInfo& info, size_t index,
                                        const char* name) {
  Napi::Value value = info[index];
  if (!value.IsArray()) Fail(info, name, "an array of non-empty strings");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString() || item.As<Napi::String>().Utf8Value().empty()) {
      Fail(info, name, "an array of non-empty strings");
    }
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsFunction()) Fail(info, name, "a function");
  return value.As<Napi::Function>();
}

Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) Fail(info, name, "an object");
  return value.As<Napi::Object>();
}

}  // namespace ballast
