#include <base/json.h>
#include <base/number_format.h>

#include <cmath>
#include <cstdio>

namespace solidanode
{
  Json::Json() = default;
  Json::Json(double v)
    : kind_(std::isfinite(v) ? Kind::number : Kind::null)
    , number_(v)
  {}
  Json::Json(int v) : Json(static_cast<double>(v)) {}
  Json::Json(long long v) : Json(static_cast<double>(v)) {}
  Json::Json(unsigned int v) : Json(static_cast<double>(v)) {}
  Json::Json(unsigned long v) : Json(static_cast<double>(v)) {}
  Json::Json(unsigned long long v) : Json(static_cast<double>(v)) {}
  Json::Json(bool v) : kind_(Kind::boolean), boolean_(v) {}
  Json::Json(const char *v) : kind_(Kind::string), string_(v) {}
  Json::Json(const std::string &v) : kind_(Kind::string), string_(v) {}

  Json Json::object()
  {
    Json j;
    j.kind_ = Kind::object;
    return j;
  }

  Json Json::array()
  {
    Json j;
    j.kind_ = Kind::array;
    return j;
  }

  Json &Json::operator[](const std::string &key)
  {
    kind_ = Kind::object;
    for (auto &[k, v] : members_)
      if (k == key)
        return v;
    members_.emplace_back(key, Json());
    return members_.back().second;
  }

  Json &Json::push_back(Json v)
  {
    kind_ = Kind::array;
    items_.push_back(std::move(v));
    return items_.back();
  }

  namespace
  {
    void escape(std::string &out, const std::string &s)
    {
      out += '"';
      for (const unsigned char c : s)
        switch (c)
          {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
              if (c < 0x20)
                {
                  char buf[8];
                  std::snprintf(buf, sizeof buf, "\\u%04x", c);
                  out += buf;
                }
              else
                out += static_cast<char>(c);
          }
      out += '"';
    }
  } // namespace

  void Json::write(std::string &out, int indent, int depth) const
  {
    const std::string pad(static_cast<std::size_t>(indent * (depth + 1)), ' ');
    const std::string end_pad(static_cast<std::size_t>(indent * depth), ' ');
    const char       *nl = indent > 0 ? "\n" : "";
    switch (kind_)
      {
        case Kind::null: out += "null"; break;
        case Kind::number: out += format_number(number_); break;
        case Kind::boolean: out += boolean_ ? "true" : "false"; break;
        case Kind::string: escape(out, string_); break;
        case Kind::array:
          if (items_.empty())
            {
              out += "[]";
              break;
            }
          out += "[";
          out += nl;
          for (std::size_t i = 0; i < items_.size(); ++i)
            {
              out += pad;
              items_[i].write(out, indent, depth + 1);
              out += (i + 1 < items_.size()) ? "," : "";
              out += nl;
            }
          out += end_pad + "]";
          break;
        case Kind::object:
          if (members_.empty())
            {
              out += "{}";
              break;
            }
          out += "{";
          out += nl;
          for (std::size_t i = 0; i < members_.size(); ++i)
            {
              out += pad;
              escape(out, members_[i].first);
              out += indent > 0 ? ": " : ":";
              members_[i].second.write(out, indent, depth + 1);
              out += (i + 1 < members_.size()) ? "," : "";
              out += nl;
            }
          out += end_pad + "}";
          break;
      }
  }

  std::string Json::dump(int indent) const
  {
    std::string out;
    write(out, indent, 0);
    out += '\n';
    return out;
  }
} // namespace solidanode
