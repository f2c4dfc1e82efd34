// A minimal JSON value for the files solidanode writes (run.json,
// checkpoint.json): objects keep insertion order, numbers round-trip.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace solidanode
{
  class Json
  {
  public:
    Json();                      ///< null
    Json(double v);              ///< number (non-finite becomes null)
    Json(int v);
    Json(long long v);
    Json(unsigned int v);
    Json(unsigned long v);
    Json(unsigned long long v);
    Json(bool v);
    Json(const char *v);
    Json(const std::string &v);

    static Json object();
    static Json array();

    /// Object member (inserted at the end if new).
    Json &operator[](const std::string &key);
    /// Append to an array.
    Json &push_back(Json v);

    std::string dump(int indent = 2) const;

  private:
    enum class Kind
    {
      null,
      number,
      boolean,
      string,
      array,
      object
    };
    void write(std::string &out, int indent, int depth) const;

    Kind                                      kind_ = Kind::null;
    double                                    number_ = 0.;
    bool                                      boolean_ = false;
    std::string                               string_;
    std::vector<Json>                         items_;
    std::vector<std::pair<std::string, Json>> members_;
  };
} // namespace solidanode
