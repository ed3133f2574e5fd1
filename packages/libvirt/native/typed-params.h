// libvirt typed parameters <-> plain C++ copies <-> JS objects.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <string>
#include <vector>

namespace ballast {

// A copy of one virTypedParameter (safe to keep after libvirt frees the array).
struct Param {
  std::string field;
  int type = VIR_TYPED_PARAM_INT;
  double number = 0;  // INT, UINT, LLONG, ULLONG, DOUBLE (ullong above 2^53 loses precision)
  bool boolean = false;
  std::string text;
};

std::vector<Param> CopyParams(const virTypedParameter* params, int count);

// Reads a typed-parameter array of `count` entries (the size a first, empty call
// reported) through `getter(params, &n)`, then copies it and frees libvirt's strings.
template <typename Getter>
std::vector<Param> ReadParams(int count, Getter getter) {
  std::vector<virTypedParameter> raw(count > 0 ? count : 0);
  int n = count;
  if (count > 0) getter(raw.data(), &n);
  std::vector<Param> out = CopyParams(raw.data(), n);
  virTypedParamsClear(raw.data(), n);
  return out;
}

// {field: number | string | boolean}
Napi::Object ParamsToJs(Napi::Env env, const std::vector<Param>& params);

// A worker's done() for calls that resolve to a typed-parameter object.
inline Napi::Value ParamsDone(Napi::Env env, std::vector<Param>& out) { return ParamsToJs(env, out); }

// A value given from JS for a set call, copied on the JS thread.
struct ParamInput {
  enum Kind { Number, Text, Boolean };
  std::string field;
  Kind kind = Number;
  double number = 0;
  std::string text;
  bool boolean = false;
};

// Reads {field: number | string | boolean}; other value types throw a TypeError.
std::vector<ParamInput> ReadParamInputs(const Napi::CallbackInfo& info, size_t index,
                                        const char* name);

// An owned virTypedParameter array.
class TypedParams {
 public:
  TypedParams() = default;
  TypedParams(const TypedParams&) = delete;
  TypedParams& operator=(const TypedParams&) = delete;
  ~TypedParams() { virTypedParamsFree(params_, count_); }

  virTypedParameterPtr get() const { return params_; }
  int count() const { return count_; }
  void AddString(const char* field, const std::string& value);
  void AddULLong(const char* field, unsigned long long value);
  // Adds `input` with the type libvirt reported for that field in `known`.
  // Unknown fields and values that do not fit the type throw VIR_ERR_INVALID_ARG;
  // `what` names the parameter family in those messages ("scheduler", "NUMA", ...).
  void AddTyped(const ParamInput& input, const std::vector<Param>& known, const char* what);

 private:
  virTypedParameterPtr params_ = nullptr;
  int count_ = 0;
  int capacity_ = 0;
};

}  // namespace ballast
