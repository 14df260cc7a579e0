#include "json.hpp"

namespace latchkey::detail::json {
namespace {

// Same as picojson::default_parse_context, but refuses numbers a double cannot hold.
class SafeContext {
 public:
  SafeContext(Value* out, std::size_t depth, bool* bad_number) : out_(out), depth_(depth), bad_number_(bad_number) {}
  bool set_null() { *out_ = Value(); return true; }
  bool set_bool(bool b) { *out_ = Value(b); return true; }
  bool set_int64(std::int64_t i) { *out_ = Value(i); return true; }
  bool set_number(double f) {
    // picojson ignores this return value, so remember the failure for parse() to report.
    if (!std::isfinite(f)) {
      *bad_number_ = true;
      *out_ = Value();
      return false;
    }
    *out_ = Value(f);
    return true;
  }
  bool parse_string(picojson::input<const char*>& in) {
    *out_ = Value(picojson::string_type, false);
    return read_string(static_cast<Input&>(in), &out_->get<std::string>());
  }
  bool parse_array_start() {
    if (depth_ == 0) return false;
    --depth_;
    *out_ = Value(picojson::array_type, false);
    return true;
  }
  template <typename Iter>
  bool parse_array_item(picojson::input<Iter>& in, std::size_t) {
    Array& a = out_->get<Array>();
    a.push_back(Value());
    SafeContext ctx(&a.back(), depth_, bad_number_);
    return picojson::_parse(ctx, in);
  }
  bool parse_array_stop(std::size_t) { ++depth_; return true; }
  bool parse_object_start() {
    if (depth_ == 0) return false;
    --depth_;
    *out_ = Value(picojson::object_type, false);
    return true;
  }
  template <typename Iter>
  bool parse_object_item(picojson::input<Iter>& in, const std::string& key) {
    Object& o = out_->get<Object>();
    SafeContext ctx(&o[key], depth_, bad_number_);
    return picojson::_parse(ctx, in);
  }
  bool parse_object_stop() { ++depth_; return true; }

 private:
  Value* out_;
  std::size_t depth_;
  bool* bad_number_;
};

}  // namespace

std::string_view Input::take_plain() {
  if (consumed_) {  // the byte before the run: an opening quote or an escape's last byte
    ++cur_;
    consumed_ = false;
  }
  const char* end = cur_;
  while (end != end_ && *end != '"' && *end != '\\' && static_cast<unsigned char>(*end) >= 0x20) ++end;
  std::string_view run(cur_, static_cast<std::size_t>(end - cur_));
  cur_ = end;
  return run;
}

bool read_string(Input& in, std::string* out) {
  for (;;) {
    std::string_view run = in.take_plain();
    out->append(run.data(), run.size());
    int ch = in.getc();
    if (ch == '"') return true;
    if (ch != '\\') {  // a control byte, or the end of the text
      in.ungetc();
      return false;
    }
    switch (in.getc()) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u':
        if (!picojson::_parse_codepoint(*out, in)) return false;
        break;
      default: return false;
    }
  }
}

bool is_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) { ++p; continue; }
    int n;
    unsigned min;
    if ((c & 0xE0) == 0xC0) { n = 1; c &= 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 2; c &= 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 3; c &= 0x07; min = 0x10000; }
    else return false;
    if (end - p <= n) {
      if (end - p < n + 1) return false;
    }
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

Result<Value> parse(std::string_view text, const char* what) {
  if (!is_utf8(text)) {
    return make_error(ErrorCode::malformed_response, std::string(what) + " is not valid UTF-8 text");
  }
  Value out;
  bool bad_number = false;
  SafeContext ctx(&out, kMaxDepth, &bad_number);
  Input in(text.data(), text.data() + text.size());
  if (!picojson::_parse(ctx, in) || bad_number) {
    return make_error(ErrorCode::malformed_response,
                      std::string(what) + " is not valid JSON (error near line " + std::to_string(in.line()) +
                          "; numbers must be finite and nesting at most " + std::to_string(kMaxDepth) + " deep)");
  }
  in.skip_ws();
  if (in.cur() != text.data() + text.size()) {
    return make_error(ErrorCode::malformed_response, std::string(what) + " has unexpected text after the JSON value");
  }
  return out;
}

bool parse_value(Input& in, Value* out, std::size_t depth) {
  bool bad_number = false;
  SafeContext ctx(out, depth, &bad_number);
  return picojson::_parse(ctx, in) && !bad_number;
}

namespace {
// picojson writes one character at a time through an output iterator; through
// std::back_inserter each is a push_back. Counting first, then writing through a plain pointer
// into a string of the exact size, makes serialization several times faster.
struct CountingIterator {
  std::size_t* n;
  struct Sink {
    std::size_t* n;
    Sink& operator=(char) {
      ++*n;
      return *this;
    }
  };
  Sink operator*() { return Sink{n}; }
  CountingIterator& operator++() { return *this; }
  CountingIterator operator++(int) { return *this; }
};

// picojson copies its output iterator freely (into functors, into copy()), so the position
// must be shared, as a back_insert_iterator's container is: every copy points at one cursor.
struct PointerIterator {
  char** cursor;
  char& operator*() { return **cursor; }
  PointerIterator& operator++() {
    ++*cursor;
    return *this;
  }
  // `*oi++ = c` writes at the old position, then the shared cursor has moved on.
  struct Slot {
    char* at;
    char& operator*() { return *at; }
  };
  Slot operator++(int) { return Slot{(*cursor)++}; }
};

// picojson calls an unqualified copy(first, last, out) for escapes; found here by ADL.
template <class It>
CountingIterator copy(It first, It last, CountingIterator out) {
  *out.n += static_cast<std::size_t>(last - first);
  return out;
}
template <class It>
PointerIterator copy(It first, It last, PointerIterator out) {
  for (; first != last; ++first) *(*out.cursor)++ = *first;
  return out;
}
}  // namespace

std::string serialize(const Value& v) {
  std::size_t size = 0;
  v.serialize(CountingIterator{&size});
  std::string out(size, '\0');
  char* cursor = out.data();
  v.serialize(PointerIterator{&cursor});
  return out;
}

const std::string* get_string(const Object& o, const std::string& key) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is<std::string>()) return nullptr;
  return &it->second.get<std::string>();
}

const Object* get_object(const Object& o, const std::string& key) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is<Object>()) return nullptr;
  return &it->second.get<Object>();
}

const Array* get_array(const Object& o, const std::string& key) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is<Array>()) return nullptr;
  return &it->second.get<Array>();
}

bool get_bool(const Object& o, const std::string& key, bool* out) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is<bool>()) return false;
  *out = it->second.get<bool>();
  return true;
}

bool get_int(const Object& o, const std::string& key, std::int64_t* out) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is<std::int64_t>()) return false;
  *out = it->second.get<std::int64_t>();
  return true;
}

const Value* find_path(const Object& o, std::string_view dotted) {
  // A step into an array is its index in decimal: DocuSign's userinfo names the account's host
  // at accounts.0.base_uri, Klaviyo's account at data.0.id.
  auto index_of = [](std::string_view step, std::size_t* out) {
    if (step.empty() || step.size() > 9) return false;
    std::size_t n = 0;
    for (char c : step) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    *out = n;
    return true;
  };
  const Value* cur = nullptr;
  const Object* obj = &o;
  while (true) {
    auto dot = dotted.find('.');
    std::string_view step = dotted.substr(0, dot);
    if (obj) {
      auto it = obj->find(std::string(step));
      if (it == obj->end()) return nullptr;
      cur = &it->second;
    } else {
      const Array& a = cur->get<Array>();
      std::size_t i = 0;
      if (!index_of(step, &i) || i >= a.size()) return nullptr;
      cur = &a[i];
    }
    if (dot == std::string_view::npos) return cur;
    if (cur->is<Object>()) {
      obj = &cur->get<Object>();
    } else if (cur->is<Array>()) {
      obj = nullptr;
    } else {
      return nullptr;
    }
    dotted.remove_prefix(dot + 1);
  }
}

}  // namespace latchkey::detail::json
