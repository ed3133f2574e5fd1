#include "typed-params.h"

#include <cmath>

#include "args.h"
#include "errors.h"

namespace ballast {

std::vector<Param> CopyParams(const virTypedParameter* params, int count) {
  std::vector<Param> out;
  out.reserve(count > 0 ? count : 0);
  for (int i = 0; i < count; i++) {
    const virTypedParameter& p = params[i];
    Param copy;
    copy.field = p.field;
    copy.type = p.type;
    switch (p.type) {
      case VIR_TYPED_PARAM_INT: copy.number = p.value.i; break;
      case VIR_TYPED_PARAM_UINT: copy.number = p.value.ui; break;
      case VIR_TYPED_PARAM_LLONG: copy.number = static_cast<double>(p.value.l); break;
      case VIR_TYPED_PARAM_ULLONG: copy.number = static_cast<double>(p.value.ul); break;
      case VIR_TYPED_PARAM_DOUBLE: copy.number = p.value.d; break;
      case VIR_TYPED_PARAM_BOOLEAN: copy.boolean = p.value.b != 0; break;
      case VIR_TYPED_PARAM_STRING: copy.text = p.value.s != nullptr ? p.value.s : ""; break;
      default: continue;  // a type newer than this binding: skip it
    }
    out.push_back(std::move(copy));
  }
  return out;
}

Napi::Object ParamsToJs(Napi::Env env, const std::vector<Param>& params) {
  Napi::Object obj = Napi::Object::New(env);
  for (const Param& p : params) {
    if (p.type == VIR_TYPED_PARAM_STRING) {
      obj.Set(p.field, Napi::String::New(env, p.text));
    } else if (p.type == VIR_TYPED_PARAM_BOOLEAN) {
      obj.Set(p.field, Napi::Boolean::New(env, p.boolean));
    } else {
      obj.Set(p.field, Napi::Number::New(env, p.number));
    }
  }
  return obj;
}

std::vector<ParamInput> ReadParamInputs(const Napi::CallbackInfo& info, size_t index,
                                        const char* name) {
  Napi::Object obj = ArgObject(info, index, name);
  Napi::Array keys = obj.GetPropertyNames();
  std::vector<ParamInput> out;
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    Napi::Value value = obj.Get(key);
    if (value.IsUndefined()) continue;
    ParamInput input;
    input.field = key;
    if (value.IsNumber()) {
      input.kind = ParamInput::Number;
      input.number = value.As<Napi::Number>().DoubleValue();
    } else if (value.IsString()) {
      input.kind = ParamInput::Text;
      input.text = value.As<Napi::String>().Utf8Value();
    } else if (value.IsBoolean()) {
      input.kind = ParamInput::Boolean;
      input.boolean = value.As<Napi::Boolean>().Value();
    } else {
      throw Napi::TypeError::New(info.Env(), std::string(name) + "." + key +
                                                 " must be a number, string or boolean");
    }
    out.push_back(std::move(input));
  }
  return out;
}

void TypedParams::AddString(const char* field, const std::string& value) {
  Check(virTypedParamsAddString(&params_, &count_, &capacity_, field, value.c_str()),
        "virTypedParamsAddString");
}

void TypedParams::AddULLong(const char* field, unsigned long long value) {
  Check(virTypedParamsAddULLong(&params_, &count_, &capacity_, field, value),
        "virTypedParamsAddULLong");
}

namespace {

[[noreturn]] void BadValue(const ParamInput& in, const char* what, const char* expected) {
  ThrowError(VIR_ERR_INVALID_ARG,
             std::string(what) + " parameter '" + in.field + "' must be " + expected);
}

double IntegerIn(const ParamInput& in, const char* what, double min, double max,
                 const char* expected) {
  if (in.kind != ParamInput::Number || !std::isfinite(in.number) ||
      std::trunc(in.number) != in.number || in.number < min || in.number > max) {
    BadValue(in, what, expected);
  }
  return in.number;
}

}  // namespace

void TypedParams::AddTyped(const ParamInput& in, const std::vector<Param>& known,
                           const char* what) {
  const Param* type = nullptr;
  std::string names;
  for (const Param& p : known) {
    if (p.field == in.field) type = &p;
    names += (names.empty() ? "" : ", ") + p.field;
  }
  if (type == nullptr) {
    ThrowError(VIR_ERR_INVALID_ARG, std::string("unknown ") + what + " parameter '" + in.field +
                                        "' (libvirt reports: " + names + ")");
  }
  const char* f = in.field.c_str();
  const double safe = static_cast<double>(kMaxSafeInteger);
  int rc = 0;
  switch (type->type) {
    case VIR_TYPED_PARAM_INT:
      rc = virTypedParamsAddInt(&params_, &count_, &capacity_, f,
                                static_cast<int>(IntegerIn(in, what, -2147483648.0, 2147483647.0,
                                                           "a 32-bit integer")));
      break;
    case VIR_TYPED_PARAM_UINT:
      rc = virTypedParamsAddUInt(&params_, &count_, &capacity_, f,
                                 static_cast<unsigned int>(IntegerIn(
                                     in, what, 0, 4294967295.0, "an unsigned 32-bit integer")));
      break;
    case VIR_TYPED_PARAM_LLONG:
      rc = virTypedParamsAddLLong(
          &params_, &count_, &capacity_, f,
          static_cast<long long>(IntegerIn(in, what, -safe, safe, "a safe integer")));
      break;
    case VIR_TYPED_PARAM_ULLONG:
      rc = virTypedParamsAddULLong(
          &params_, &count_, &capacity_, f,
          static_cast<unsigned long long>(IntegerIn(in, what, 0, safe, "a non-negative integer")));
      break;
    case VIR_TYPED_PARAM_DOUBLE:
      if (in.kind != ParamInput::Number) BadValue(in, what, "a number");
      rc = virTypedParamsAddDouble(&params_, &count_, &capacity_, f, in.number);
      break;
    case VIR_TYPED_PARAM_BOOLEAN:
      if (in.kind != ParamInput::Boolean) BadValue(in, what, "a boolean");
      rc = virTypedParamsAddBoolean(&params_, &count_, &capacity_, f, in.boolean ? 1 : 0);
      break;
    case VIR_TYPED_PARAM_STRING:
      if (in.kind != ParamInput::Text) BadValue(in, what, "a string");
      rc = virTypedParamsAddString(&params_, &count_, &capacity_, f, in.text.c_str());
      break;
    default:
      BadValue(in, what, "of a type this binding cannot set");
  }
  Check(rc, "virTypedParamsAdd");
}

}  // namespace ballast
