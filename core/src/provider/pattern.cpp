// The template-parameter pattern subset (see pattern.hpp).
//
// Matching does not backtrack. Each node maps the *set* of input positions it may start at to
// the set of positions it may end at (a bitset over the ≤ 256-byte value), so alternation and
// repetition cost a union and a fixpoint instead of exploring paths: `^(a|aa)*$` on 256 'a's
// is a few hundred bitset operations, not 2^128 backtracks. Recursion follows the pattern's
// nesting only (capped at kMaxNesting), never the input. A step budget still bounds the work
// of deeply nested counted repeats; running out of it makes the match fail.
#include "pattern.hpp"

#include <bitset>
#include <cstdint>
#include <vector>

#include "text.hpp"

namespace latchkey::detail {
namespace {

constexpr std::size_t kMaxPattern = 512;
constexpr std::size_t kMaxValue = 256;
constexpr int kMaxNesting = 16;
constexpr int kMaxRepeat = 1000;
constexpr long kStepBudget = 100000;

using Positions = std::bitset<kMaxValue + 1>;  // position i = "before byte i"; kMaxValue = the end
using ByteSet = std::bitset<256>;

struct Node {
  enum Kind { leaf, group, repeat } kind = leaf;
  ByteSet bytes;                               // leaf: the bytes it accepts
  std::vector<std::vector<int>> alternatives;  // group: each a sequence of node indices
  int child = -1;                              // repeat
  int min = 0;
  int max = 0;  // -1: unbounded
};

struct Program {
  std::vector<Node> nodes;
  std::vector<int> root;  // sequence between ^ and $
};

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  Status parse(Program* out) {
    if (p_.size() > kMaxPattern) {
      return fail("is longer than " + std::to_string(kMaxPattern) + " characters");
    }
    for (unsigned char c : p_) {
      if (c < 0x20 || c >= 0x7f) return fail("may only contain printable ASCII characters");
    }
    if (p_.empty() || p_.front() != '^') {
      return fail("must start with ^ (patterns are anchored: they match the whole value)");
    }
    pos_ = 1;
    prog_ = out;
    std::vector<std::vector<int>> alts;
    Status st = parse_alternatives(0, &alts);
    if (!st) return st;
    if (pos_ < p_.size()) {
      // parse_alternatives stops only at ')' or '$' here.
      if (p_[pos_] == ')') return fail_at("has an unbalanced ')'");
      if (p_[pos_] == '$' && pos_ + 1 != p_.size()) {
        return fail_at("has '$' before the end; $ may only be the last character (escape a literal dollar as \\$)");
      }
    }
    if (pos_ >= p_.size() || p_[pos_] != '$') {
      return fail("must end with $ (patterns are anchored: they match the whole value)");
    }
    if (alts.size() != 1) {
      // In JavaScript and most engines ^a|b$ means (^a)|(b$): refuse the ambiguity.
      return fail("uses | outside a group; wrap the alternatives in parentheses, e.g. ^(a|b)$");
    }
    out->root = std::move(alts.front());
    return Ok{};
  }

 private:
  Error fail(const std::string& why) const {
    return make_error(ErrorCode::invalid_request, "pattern '" + clean(p_, 80) + "' " + why);
  }
  Error fail_at(const std::string& why) const {
    return make_error(ErrorCode::invalid_request, "pattern '" + clean(p_, 80) + "', at position " +
                                                      std::to_string(pos_) + ", " + why);
  }

  bool at_end() const { return pos_ >= p_.size(); }
  // Top level: '$' is the final anchor; inside a group it is an error reported by the caller.
  bool at_sequence_end() const { return at_end() || p_[pos_] == '|' || p_[pos_] == ')' || p_[pos_] == '$'; }

  Status parse_alternatives(int depth, std::vector<std::vector<int>>* alts) {
    while (true) {
      std::vector<int> seq;
      Status st = parse_sequence(depth, &seq);
      if (!st) return st;
      alts->push_back(std::move(seq));
      if (!at_end() && p_[pos_] == '|') {
        ++pos_;
        continue;
      }
      return Ok{};
    }
  }

  Status parse_sequence(int depth, std::vector<int>* seq) {
    while (!at_sequence_end()) {
      int atom = -1;
      Status st = parse_atom(depth, &atom);
      if (!st) return st;
      st = parse_quantifier(&atom);
      if (!st) return st;
      seq->push_back(atom);
    }
    return Ok{};
  }

  int add_leaf(const ByteSet& bytes) {
    Node n;
    n.kind = Node::leaf;
    n.bytes = bytes;
    prog_->nodes.push_back(std::move(n));
    return static_cast<int>(prog_->nodes.size() - 1);
  }

  static ByteSet class_of(char c) {
    ByteSet s;
    switch (c) {
      case 'd':
        for (int b = '0'; b <= '9'; ++b) s.set(b);
        break;
      case 'w':
        for (int b = '0'; b <= '9'; ++b) s.set(b);
        for (int b = 'a'; b <= 'z'; ++b) s.set(b);
        for (int b = 'A'; b <= 'Z'; ++b) s.set(b);
        s.set('_');
        break;
      default:
        break;
    }
    return s;
  }

  // After a backslash: a class escape (\d \w) or an escaped punctuation character.
  Status parse_escape(ByteSet* out, bool* is_class, unsigned char* literal) {
    if (at_end()) return fail("ends with a lone backslash");
    char c = p_[pos_++];
    if (c == 'd' || c == 'w') {
      *out = class_of(c);
      *is_class = true;
      return Ok{};
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      --pos_;
      return fail_at(std::string("uses the unsupported escape \\") + c + " (only \\d, \\w and escaped punctuation are supported)");
    }
    out->reset();
    out->set(static_cast<unsigned char>(c));
    *is_class = false;
    *literal = static_cast<unsigned char>(c);
    return Ok{};
  }

  Status parse_atom(int depth, int* atom) {
    char c = p_[pos_];
    switch (c) {
      case '(': {
        if (depth + 1 > kMaxNesting) return fail_at("nests groups deeper than " + std::to_string(kMaxNesting));
        std::size_t open = pos_++;
        if (p_.substr(pos_, 2) == "?:") {
          pos_ += 2;
        } else if (!at_end() && p_[pos_] == '?') {
          return fail_at("uses an unsupported (? group (only (?: is supported)");
        }
        std::vector<std::vector<int>> alts;
        Status st = parse_alternatives(depth + 1, &alts);
        if (!st) return st;
        if (!at_end() && p_[pos_] == '$' && pos_ + 1 < p_.size()) {
          return fail_at("has '$' inside a group; $ may only be the last character (escape a literal dollar as \\$)");
        }
        if (at_end() || p_[pos_] != ')') {
          pos_ = open;
          return fail_at("has an unbalanced '('");
        }
        ++pos_;
        Node n;
        n.kind = Node::group;
        n.alternatives = std::move(alts);
        prog_->nodes.push_back(std::move(n));
        *atom = static_cast<int>(prog_->nodes.size() - 1);
        return Ok{};
      }
      case '[':
        return parse_class(atom);
      case '.': {
        ++pos_;
        ByteSet any;
        any.set();
        any.reset('\n');
        any.reset('\r');
        *atom = add_leaf(any);
        return Ok{};
      }
      case '\\': {
        ++pos_;
        ByteSet s;
        bool is_class = false;
        unsigned char lit = 0;
        Status st = parse_escape(&s, &is_class, &lit);
        if (!st) return st;
        *atom = add_leaf(s);
        return Ok{};
      }
      case '*':
      case '+':
      case '?':
        return fail_at(std::string("has nothing to repeat before '") + c + "'");
      case '{':
        return fail_at("has nothing to repeat before '{' (escape a literal brace as \\{)");
      case '}':
        return fail_at("has an unbalanced '}' (escape a literal brace as \\})");
      case ']':
        return fail_at("has an unbalanced ']' (escape a literal bracket as \\])");
      case '^':
        return fail_at("has '^' after the start; ^ may only be the first character (escape a literal caret as \\^)");
      default: {
        ++pos_;
        ByteSet s;
        s.set(static_cast<unsigned char>(c));
        *atom = add_leaf(s);
        return Ok{};
      }
    }
  }

  Status parse_class(int* atom) {
    std::size_t open = pos_++;
    bool negate = false;
    if (!at_end() && p_[pos_] == '^') {
      negate = true;
      ++pos_;
    }
    ByteSet set;
    bool empty = true;
    while (true) {
      if (at_end()) {
        pos_ = open;
        return fail_at("has an unbalanced '['");
      }
      char c = p_[pos_];
      if (c == ']') {
        if (empty) return fail_at("has an empty class [] (escape a literal bracket as \\])");
        ++pos_;
        break;
      }
      if (c == '[') return fail_at("has '[' inside a class (escape it as \\[)");
      // One class member: a byte, an escape, or the start of a range.
      unsigned char lo = 0;
      if (c == '\\') {
        ++pos_;
        ByteSet s;
        bool is_class = false;
        Status st = parse_escape(&s, &is_class, &lo);
        if (!st) return st;
        if (is_class) {
          set |= s;
          empty = false;
          continue;
        }
      } else {
        lo = static_cast<unsigned char>(c);
        ++pos_;
      }
      // A '-' that is not last starts a range.
      if (pos_ + 1 < p_.size() && p_[pos_] == '-' && p_[pos_ + 1] != ']') {
        ++pos_;
        unsigned char hi = 0;
        if (p_[pos_] == '\\') {
          ++pos_;
          ByteSet s;
          bool is_class = false;
          Status st = parse_escape(&s, &is_class, &hi);
          if (!st) return st;
          if (is_class) return fail_at("has a range ending in a class escape");
        } else if (p_[pos_] == '[') {
          return fail_at("has '[' inside a class (escape it as \\[)");
        } else {
          hi = static_cast<unsigned char>(p_[pos_++]);
        }
        if (hi < lo) return fail_at("has a range whose end comes before its start");
        for (unsigned b = lo; b <= hi; ++b) set.set(b);
      } else {
        set.set(lo);
      }
      empty = false;
    }
    if (negate) set.flip();
    *atom = add_leaf(set);
    return Ok{};
  }

  // Reads digits; false if none or the number exceeds kMaxRepeat.
  bool read_count(int* out) {
    std::size_t start = pos_;
    long v = 0;
    while (!at_end() && p_[pos_] >= '0' && p_[pos_] <= '9') {
      v = v * 10 + (p_[pos_] - '0');
      if (v > kMaxRepeat) return false;
      ++pos_;
    }
    *out = static_cast<int>(v);
    return pos_ > start;
  }

  Status parse_quantifier(int* atom) {
    if (at_end()) return Ok{};
    int min = 0, max = 0;
    char c = p_[pos_];
    if (c == '*') {
      min = 0, max = -1;
      ++pos_;
    } else if (c == '+') {
      min = 1, max = -1;
      ++pos_;
    } else if (c == '?') {
      min = 0, max = 1;
      ++pos_;
    } else if (c == '{') {
      ++pos_;
      if (!read_count(&min)) return fail_at("has a {n,m} quantifier without a count of at most " + std::to_string(kMaxRepeat));
      max = min;
      if (!at_end() && p_[pos_] == ',') {
        ++pos_;
        if (!at_end() && p_[pos_] == '}') {
          max = -1;
        } else if (!read_count(&max)) {
          return fail_at("has a {n,m} quantifier whose m is not a count of at most " + std::to_string(kMaxRepeat));
        }
      }
      if (at_end() || p_[pos_] != '}') return fail_at("has an unterminated {n,m} quantifier");
      ++pos_;
      if (max != -1 && max < min) return fail("has a quantifier {n,m} with m smaller than n");
    } else {
      return Ok{};
    }
    if (!at_end() && (p_[pos_] == '*' || p_[pos_] == '+' || p_[pos_] == '?' || p_[pos_] == '{')) {
      return fail_at("has two quantifiers in a row (wrap the first in a group)");
    }
    Node n;
    n.kind = Node::repeat;
    n.child = *atom;
    n.min = min;
    n.max = max;
    prog_->nodes.push_back(std::move(n));
    *atom = static_cast<int>(prog_->nodes.size() - 1);
    return Ok{};
  }

  std::string_view p_;
  std::size_t pos_ = 0;
  Program* prog_ = nullptr;
};

class Matcher {
 public:
  Matcher(const Program& prog, std::string_view value) : prog_(prog), value_(value) {}

  bool run() {
    Positions start;
    start.set(0);
    Positions end = sequence(prog_.root, start);
    return !out_of_budget_ && end.test(value_.size());
  }

 private:
  bool spend() {
    if (++steps_ > kStepBudget) out_of_budget_ = true;
    return !out_of_budget_;
  }

  Positions sequence(const std::vector<int>& seq, Positions at) {
    for (int n : seq) {
      if (at.none()) break;
      at = node(n, at);
    }
    return at;
  }

  Positions node(int index, const Positions& at) {
    if (at.none() || !spend()) return Positions();
    const Node& n = prog_.nodes[index];
    switch (n.kind) {
      case Node::leaf: {
        Positions next;
        for (std::size_t i = 0; i < value_.size(); ++i) {
          if (at.test(i) && n.bytes.test(static_cast<unsigned char>(value_[i]))) next.set(i + 1);
        }
        return next;
      }
      case Node::group: {
        Positions out;
        for (const auto& alt : n.alternatives) out |= sequence(alt, at);
        return out;
      }
      case Node::repeat: {
        // Exactly `min` rounds first. Node relations only move forward, so once a round
        // changes nothing, later rounds cannot either.
        Positions cur = at;
        for (int i = 0; i < n.min; ++i) {
          Positions next = node(n.child, cur);
          if (out_of_budget_ || next.none()) return Positions();
          if (next == cur) break;
          cur = next;
        }
        // Then up to max-min optional rounds, breadth-first from the newly reached positions:
        // a position reachable in k ≤ max rounds is found within k rounds.
        Positions all = cur;
        Positions frontier = cur;
        for (int i = n.min; n.max == -1 || i < n.max; ++i) {
          Positions fresh = node(n.child, frontier) & ~all;
          if (out_of_budget_ || fresh.none()) break;
          all |= fresh;
          frontier = fresh;
        }
        return all;
      }
    }
    return Positions();
  }

  const Program& prog_;
  std::string_view value_;
  long steps_ = 0;
  bool out_of_budget_ = false;
};

}  // namespace

Status check_pattern(std::string_view pattern) {
  Program prog;
  return Parser(pattern).parse(&prog);
}

bool pattern_matches(std::string_view pattern, std::string_view value) {
  if (value.size() > kMaxValue) return false;
  Program prog;
  if (!Parser(pattern).parse(&prog)) return false;
  return Matcher(prog, value).run();
}

}  // namespace latchkey::detail
