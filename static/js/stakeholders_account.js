// Stakeholders at one account: org chart, influence map and in-page edits.
// Both charts are hand-drawn SVG laid out on a grid, so labels never overlap
// however many people there are; they redraw when the width changes.
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var SENTIMENT_COLOURS = {
    "-2": "#b42318",
    "-1": "#e8833a",
    "0": "#9aa5b1",
    "1": "#7cb342",
    "2": "#2e7d32"
  };
  var KIND_CLASSES = { influences: "influences", allied: "allied", conflicts: "conflicts" };

  function svgElement(name, attributes, parent) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    if (parent) {
      parent.appendChild(node);
    }
    return node;
  }

  // Add a text node cut with an ellipsis to fit maxWidth; the full text
  // stays available as a tooltip.
  function fittedText(parent, text, attributes, maxWidth) {
    var node = svgElement("text", attributes, parent);
    node.textContent = text;
    var title = svgElement("title", {}, node);
    title.textContent = text;
    var shown = text;
    while (shown.length > 1 && node.getComputedTextLength() > maxWidth) {
      shown = shown.slice(0, -1);
      node.firstChild.nodeValue = shown.replace(/\s+$/, "") + "…";
    }
    return node;
  }

  // Break a name into at most maxLines lines of maxWidth: words fill each
  // line in turn, a long double-barrelled name breaks after its hyphen, and
  // only what still does not fit ends in an ellipsis.
  function nameLines(measure, text, maxWidth, maxLines) {
    var parts = [];
    text.split(/\s+/).forEach(function (word) {
      (word.match(/[^-]+-?|-/g) || [word]).forEach(function (piece, index) {
        parts.push({ text: piece, space: index === 0 });
      });
    });
    function width(line) {
      measure.textContent = line;
      return measure.getComputedTextLength();
    }
    var lines = [];
    var current = "";
    parts.forEach(function (part) {
      var candidate = current ? current + (part.space ? " " : "") + part.text : part.text;
      if (current && width(candidate) > maxWidth) {
        lines.push(current);
        current = part.text;
      } else {
        current = candidate;
      }
    });
    lines.push(current);
    if (lines.length > maxLines) {
      lines = lines.slice(0, maxLines - 1).concat([lines.slice(maxLines - 1).join(" ")]);
    }
    return lines.map(function (line) {
      var shown = line;
      while (shown.length > 1 && width(shown + (shown === line ? "" : "…")) > maxWidth) {
        shown = shown.slice(0, -1);
      }
      return shown === line ? line : shown.replace(/\s+$/, "") + "…";
    });
  }

  // Put a plain backdrop under a node's labels, so a link passing beneath
  // never runs through a name.
  function labelBackdrop(group, labels, odd) {
    var left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    labels.forEach(function (label) {
      var box = label.getBBox();
      if (!box.width) {
        return;
      }
      left = Math.min(left, box.x);
      top = Math.min(top, box.y);
      right = Math.max(right, box.x + box.width);
      bottom = Math.max(bottom, box.y + box.height);
    });
    if (left === Infinity) {
      return;
    }
    var backdrop = svgElement("rect", {
      x: left - 3, y: top - 1, width: right - left + 6, height: bottom - top + 2,
      rx: 3, "class": odd ? "label-backdrop odd" : "label-backdrop"
    });
    group.insertBefore(backdrop, labels[0]);
  }

  function clear(svg) {
    while (svg.firstChild) {
      svg.removeChild(svg.firstChild);
    }
  }

  function availableWidth(svg) {
    var holder = svg.parentNode;
    return Math.max(260, holder.clientWidth - 2);
  }

  function drawOrgChart(svg, graph) {
    clear(svg);
    var width = availableWidth(svg);
    var byId = {};
    var children = {};
    graph.people.forEach(function (person) {
      byId[person.id] = person;
      children[person.id] = [];
    });
    graph.people.forEach(function (person) {
      if (person.reportsTo !== null && byId[person.reportsTo]) {
        children[person.reportsTo].push(person);
      }
    });
    var rows = [];
    var placed = {};
    function walk(person, depth, parentRow) {
      if (placed[person.id] !== undefined) {
        return;
      }
      placed[person.id] = rows.length;
      rows.push({ person: person, depth: depth, parentRow: parentRow });
      var row = rows.length - 1;
      children[person.id].forEach(function (child) {
        walk(child, depth + 1, row);
      });
    }
    graph.people.forEach(function (person) {
      if (person.reportsTo === null || !byId[person.reportsTo]) {
        walk(person, 0, null);
      }
    });
    // People on a loop have no top; start from each so all are drawn.
    graph.people.forEach(function (person) {
      walk(person, 0, null);
    });

    if (!rows.length) {
      svg.setAttribute("width", width);
      svg.setAttribute("height", 40);
      var empty = svgElement("text", { x: 8, y: 24, "class": "empty" }, svg);
      empty.textContent = "No one yet.";
      return;
    }

    var rowHeight = 46;
    var maxDepth = Math.max.apply(null, rows.map(function (row) { return row.depth; }));
    var indent = maxDepth ? Math.min(24, Math.max(8, (width - 220) / maxDepth)) : 0;
    var height = rows.length * rowHeight + 6;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);

    var lines = svgElement("g", { "class": "connectors" }, svg);
    rows.forEach(function (row, index) {
      var x = 4 + row.depth * indent;
      var y = 4 + index * rowHeight;
      var person = row.person;
      if (row.parentRow !== null) {
        var parent = rows[row.parentRow];
        var px = 4 + parent.depth * indent + 8;
        var py = 4 + row.parentRow * rowHeight + 38;
        svgElement("path", {
          d: "M" + px + " " + py + " V" + (y + 19) + " H" + x
        }, lines);
      }
      var boxWidth = Math.min(340, width - x - 4);
      var group = svgElement("g", {
        "class": "org-node" + (person.inLoop ? " in-loop" : ""),
        "data-person": person.id,
        transform: "translate(" + x + "," + y + ")"
      }, svg);
      // Half a pixel in, so the 1px border falls on whole pixels and the
      // left edge is not cut off by the chart's edge; the sentiment stripe
      // sits inside the border rather than over it.
      svgElement("rect", { "class": "box", x: 0.5, y: 0.5, width: boxWidth - 1, height: 37, rx: 5 }, group);
      svgElement("rect", {
        "class": "stripe", x: 1, y: 1, width: 5, height: 36, rx: 2,
        fill: SENTIMENT_COLOURS[String(person.sentiment)]
      }, group);
      var nameWidth = boxWidth - 16 - (person.inLoop ? 40 : 0);
      fittedText(group, person.name, { x: 12, y: 16, "class": "name" }, nameWidth);
      var detail = [person.title || person.seniority, person.owner ? "owner " + person.owner : "no owner"]
        .filter(Boolean).join(" · ");
      fittedText(group, detail, { x: 12, y: 31, "class": "detail" }, boxWidth - 16);
      if (person.inLoop) {
        var mark = svgElement("text", { x: boxWidth - 8, y: 16, "class": "loop-mark", "text-anchor": "end" }, group);
        mark.textContent = "loop";
      }
    });
    if (graph.loops.length) {
      svg.setAttribute("aria-label", "Org chart; the recorded reporting line holds a loop, marked in red");
    }
  }

  // Room kept between the highest arc and the influence map's top edge.
  var ARC_MARGIN = 3;

  // How far a link's control points rise: one along a row past its
  // neighbour arcs over the people between.
  function linkLift(from, to, cellWidth) {
    var dx = Math.abs(to.x - from.x);
    return Math.abs(to.y - from.y) < 1 && dx > cellWidth * 1.5 ? -40 : 0;
  }

  function drawInfluenceMap(svg, graph) {
    clear(svg);
    var width = availableWidth(svg);
    var bandLabel = 58;
    var lineHeight = 14;
    var columns = Math.max(1, Math.floor((width - bandLabel) / 150));
    var cellWidth = (width - bandLabel) / columns;
    // Each name is broken into lines before the layout, so every band's rows
    // are as tall as its longest name needs and no label reaches the next.
    var measure = svgElement("text", { "class": "name label", visibility: "hidden" }, svg);
    var lines = {};
    graph.people.forEach(function (person) {
      lines[person.id] = nameLines(measure, person.name, cellWidth - 10, 3);
    });
    svg.removeChild(measure);
    var positions = {};
    var bands = [];
    var top = 0;
    for (var level = 5; level >= 1; level -= 1) {
      var members = graph.people.filter(function (person) { return person.influence === level; });
      members.sort(function (a, b) {
        return (a.department || "").localeCompare(b.department || "") || a.name.localeCompare(b.name);
      });
      var rowsNeeded = Math.max(1, Math.ceil(members.length / columns));
      var most = Math.max.apply(null, [1].concat(members.map(function (person) {
        return lines[person.id].length;
      })));
      // A circle, the name's lines, the owner and a gap.
      var cellHeight = 62 + most * lineHeight;
      var bandHeight = members.length ? rowsNeeded * cellHeight : 26;
      var band = { level: level, top: top, height: bandHeight, members: members };
      // A band that fits on one row spreads across the width; fuller bands
      // fill a grid row by row.
      var across = members.length < columns ? (width - bandLabel) / members.length : cellWidth;
      members.forEach(function (person, index) {
        positions[person.id] = {
          x: bandLabel + (index % columns + 0.5) * across,
          y: top + Math.floor(index / columns) * cellHeight + 26,
          r: 5 + person.influence * 3,
          odd: bands.length % 2 === 1,
          person: person
        };
      });
      bands.push(band);
      top += bandHeight;
    }
    // An arc over a row of the top band would leave the map at its top
    // edge: the map grows by what the highest arc needs, above its people.
    var headroom = 0;
    graph.links.forEach(function (link) {
      var from = positions[link.source];
      var to = positions[link.target];
      if (from && to) {
        var peak = Math.min(from.y, to.y) + 0.75 * linkLift(from, to, cellWidth);
        headroom = Math.max(headroom, ARC_MARGIN + (1 + link.strength) / 2 - peak);
      }
    });
    if (headroom > 0) {
      Object.keys(positions).forEach(function (id) { positions[id].y += headroom; });
      bands.forEach(function (band, index) {
        if (index) {
          band.top += headroom;
        } else {
          band.height += headroom;
        }
      });
      top += headroom;
    }
    var height = top + 4;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);

    var defs = svgElement("defs", {}, svg);
    var marker = svgElement("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
      markerWidth: 10, markerHeight: 10, markerUnits: "userSpaceOnUse",
      orient: "auto-start-reverse"
    }, defs);
    svgElement("path", { d: "M0 0 L10 5 L0 10 z", "class": "arrow-head" }, marker);

    var bandLayer = svgElement("g", { "class": "bands" }, svg);
    bands.forEach(function (band, index) {
      svgElement("rect", {
        x: 0, y: band.top, width: width, height: band.height,
        "class": index % 2 ? "band odd" : "band"
      }, bandLayer);
      var label = svgElement("text", { x: 6, y: band.top + 16, "class": "band-label" }, bandLayer);
      label.textContent = "Influence " + band.level;
    });

    var linkLayer = svgElement("g", { "class": "links" }, svg);
    var heads = [];
    graph.links.forEach(function (link) {
      var from = positions[link.source];
      var to = positions[link.target];
      if (!from || !to) {
        return;
      }
      // Each link leaves and reaches a circle from the side, never from
      // below, where the person's name sits: the arrow head lands beside
      // the circle, clear of the name. A link within one column bows out
      // into the gap beside it; one along a row arcs over the people
      // between, so it never seems to pass through them.
      var dx = to.x - from.x;
      var c1x, c2x;
      var lift = linkLift(from, to, cellWidth);
      if (Math.abs(dx) < 1) {
        var side = link.id % 2 ? 1 : -1;
        c1x = from.x + side * cellWidth * 0.45;
        c2x = to.x + side * cellWidth * 0.45;
      } else {
        var reach = Math.sign(dx) * Math.max(30, Math.abs(dx) / 2);
        c1x = from.x + reach;
        c2x = to.x - reach;
      }
      var c1y = from.y + lift;
      var c2y = to.y + lift;
      // Stop at the circles' edges along the curve's own direction there
      // (towards the control points), so a large circle never covers the
      // arrow head.
      var sLength = Math.hypot(c1x - from.x, c1y - from.y) || 1;
      var eLength = Math.hypot(to.x - c2x, to.y - c2y) || 1;
      var sx = from.x + (c1x - from.x) / sLength * from.r;
      var sy = from.y + (c1y - from.y) / sLength * from.r;
      var ex = to.x - (to.x - c2x) / eLength * (to.r + 2);
      var ey = to.y - (to.y - c2y) / eLength * (to.r + 2);
      var path = svgElement("path", {
        d: "M" + sx + " " + sy + " C" + c1x + " " + c1y + " " + c2x + " " + c2y + " " + ex + " " + ey,
        "class": "link " + (KIND_CLASSES[link.kind] || ""),
        "stroke-width": 1 + link.strength,
        "data-link": link.id
      }, linkLayer);
      if (link.kind === "influences") {
        // The head is drawn again in a layer above the people, so a name
        // or a large circle at the arrow's end never hides its direction.
        heads.push(path.getAttribute("d"));
      }
      var title = svgElement("title", {}, path);
      title.textContent = from.person.name + " " + link.kindLabel.toLowerCase() + " " + to.person.name;
    });

    var nodeLayer = svgElement("g", { "class": "nodes" }, svg);
    Object.keys(positions).forEach(function (id) {
      var spot = positions[id];
      var person = spot.person;
      var group = svgElement("g", { "class": "map-node", "data-person": person.id }, nodeLayer);
      svgElement("circle", {
        cx: spot.x, cy: spot.y, r: spot.r,
        fill: SENTIMENT_COLOURS[String(person.sentiment)]
      }, group);
      var tip = svgElement("title", {}, group);
      tip.textContent = person.name + " — " + (person.title || "no title") + "; " +
        person.sentimentLabel.toLowerCase() + ", influence " + person.influence + "/5";
      var shown = lines[person.id];
      shown.forEach(function (line, index) {
        var text = svgElement("text", {
          x: spot.x, y: spot.y + 5 * 3 + 16 + 2 + index * lineHeight,
          "text-anchor": "middle", "class": "name label"
        }, group);
        text.textContent = line;
        svgElement("title", {}, text).textContent = person.name;
      });
      fittedText(group, person.owner ? "owner " + person.owner : "no owner", {
        x: spot.x, y: spot.y + 5 * 3 + 16 + 2 + shown.length * lineHeight, "text-anchor": "middle",
        "class": person.owner ? "owner label" : "owner label none"
      }, cellWidth - 10);
      labelBackdrop(group, Array.prototype.slice.call(group.querySelectorAll("text.label")), spot.odd);
    });

    var headLayer = svgElement("g", { "class": "link-heads", "aria-hidden": "true" }, svg);
    heads.forEach(function (d) {
      svgElement("path", {
        d: d, fill: "none", stroke: "none", "marker-end": "url(#arrow)", "class": "link-head"
      }, headLayer);
    });
  }

  function graphData(root) {
    var source = root.querySelector("#stakeholder-graph") || document.getElementById("stakeholder-graph");
    return source ? JSON.parse(source.textContent) : { people: [], links: [], loops: [] };
  }

  function draw(root) {
    var graph = graphData(root);
    var org = root.querySelector("#org-chart");
    var map = root.querySelector("#influence-map");
    if (org) {
      drawOrgChart(org, graph);
    }
    if (map) {
      drawInfluenceMap(map, graph);
    }
  }

  // Forms

  function formValues(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "submit" || field.type === "button") {
        return;
      }
      if (field.type === "checkbox" && field.name === "roles") {
        values.roles = values.roles || [];
        if (field.checked) {
          values.roles.push(field.value);
        }
      } else if (field.type === "checkbox") {
        values[field.name] = field.checked;
      } else if (field.multiple) {
        values[field.name] = Array.prototype.filter.call(field.options, function (option) {
          return option.selected;
        }).map(function (option) { return option.value; });
      } else {
        values[field.name] = field.value;
      }
    });
    ["reports_to", "owner"].forEach(function (name) {
      if (name in values) {
        values[name] = values[name] === "" ? null : Number(values[name]);
      }
    });
    ["sentiment", "influence", "relationship_current", "relationship_desired", "source", "target", "strength"]
      .forEach(function (name) {
        if (name in values && values[name] !== "") {
          values[name] = Number(values[name]);
        }
      });
    if (Array.isArray(values.stakeholders)) {
      values.stakeholders = values.stakeholders.map(Number);
    }
    return values;
  }

  function send(root, method, url, body, extraHeaders) {
    var headers = {
      Accept: "application/json",
      "Content-Type": "application/json",
      "X-CSRFToken": root.dataset.csrf
    };
    Object.keys(extraHeaders || {}).forEach(function (key) { headers[key] = extraHeaders[key]; });
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 204) {
        return { ok: true, data: null, response: response };
      }
      return response.json().then(function (data) {
        return { ok: response.ok, data: data, response: response };
      });
    });
  }

  function errorText(data, form) {
    if (!data) {
      return "Something went wrong; try again.";
    }
    if (data.detail) {
      return data.detail;
    }
    return Object.keys(data).map(function (key) {
      var messages = Array.isArray(data[key]) ? data[key].join(" ") : String(data[key]);
      return (key === "non_field_errors" ? "" : fieldLabel(form, key) + ": ") + messages;
    }).join(" ");
  }

  // Name a field as the form shows it ("Email", "Influence (real power)"),
  // or in words from its key when the form has no such field.
  function fieldLabel(form, key) {
    var input = form && form.querySelector("[name='" + key + "']");
    var label = input && input.closest("label");
    var text = label && label.firstChild && label.firstChild.nodeType === Node.TEXT_NODE
      ? label.firstChild.nodeValue.trim()
      : "";
    if (!text) {
      text = key.replace(/_/g, " ");
    }
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function showError(form, text) {
    var holder = form.querySelector(".form-error");
    if (holder) {
      holder.textContent = text;
    }
  }

  function personUrl(root, id) {
    return root.dataset.personUrl.replace(/\/0\/$/, "/" + id + "/");
  }

  function linkUrl(root, id) {
    return root.dataset.linkDetailUrl.replace(/\/0\/$/, "/" + id + "/");
  }

  function refresh(root, openForm) {
    return fetch(root.dataset.sectionUrl, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#stakeholders-root");
        root.replaceWith(fresh);
        if (openForm) {
          var details = fresh.querySelector("form[data-action='" + openForm + "']");
          if (details && details.closest("details")) {
            details.closest("details").open = true;
          }
        }
        start(fresh);
        fresh.dispatchEvent(new CustomEvent("stakeholders:refreshed", { bubbles: true }));
      });
  }

  function setField(field, value) {
    if (field.type === "checkbox") {
      field.checked = Boolean(value);
    } else if (field.multiple) {
      var wanted = (value || []).map(String);
      Array.prototype.forEach.call(field.options, function (option) {
        option.selected = wanted.indexOf(option.value) !== -1;
      });
    } else {
      field.value = value === null || value === undefined ? "" : String(value);
    }
  }

  function fillEditForm(form, person) {
    Array.prototype.forEach.call(form.querySelectorAll(".their-value"), function (note) {
      note.remove();
    });
    if (!("id" in person)) {
      // Only some fields (typed values put back): leave the rest alone.
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.name in person) {
          setField(field, person[field.name]);
        }
      });
      return;
    }
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || !(field.name in person)) {
        return;
      }
      setField(field, person[field.name]);
    });
    // Nobody reports to themselves: hide their own name from the choice.
    var reports = form.elements.reports_to;
    Array.prototype.forEach.call(reports.options, function (option) {
      option.hidden = option.value === String(person.id);
    });
    form.querySelector("[data-name]").textContent = person.name;
    form.original = formValues(form);
  }

  // How a stored value reads to a person: option labels, not ids.
  function shownValue(field, value) {
    if (value === null || value === undefined || value === "") {
      return "(empty)";
    }
    if (field.options) {
      var wanted = Array.isArray(value) ? value.map(String) : [String(value)];
      var labels = Array.prototype.filter.call(field.options, function (option) {
        return wanted.indexOf(option.value) !== -1;
      }).map(function (option) { return option.textContent.trim(); });
      return labels.length ? labels.join(", ") : "(empty)";
    }
    if (field.type === "checkbox") {
      return value ? "yes" : "no";
    }
    return String(value);
  }

  // A refused save loads the other person's version as the new base, puts
  // back everything this user typed, and shows their value under each
  // field the two disagree on, so nothing typed is lost.
  function keepTypingBesideTheirs(form, current) {
    var typed = changedValues(form);
    fillEditForm(form, current);
    var theirs = form.original;
    fillEditForm(form, typed);
    form.original = theirs;
    Object.keys(typed).forEach(function (name) {
      var field = form.elements[name];
      if (!field || !(name in current)) {
        return;
      }
      if (JSON.stringify(typed[name]) === JSON.stringify(theirs[name])) {
        return;
      }
      var note = document.createElement("p");
      note.className = "their-value";
      note.textContent = "Saved meanwhile: " + shownValue(field, current[name]);
      (field.closest("label") || field).after(note);
    });
  }

  // Send only what the user changed, so an untouched derived seniority
  // keeps following the title.
  function changedValues(form) {
    var values = formValues(form);
    var original = form.original || {};
    var changed = {};
    Object.keys(values).forEach(function (key) {
      if (JSON.stringify(values[key]) !== JSON.stringify(original[key])) {
        changed[key] = values[key];
      }
    });
    return changed;
  }

  function start(root) {
    draw(root);

    root.addEventListener("submit", function (event) {
      var form = event.target;
      var action = form.dataset.action;
      if (!action) {
        return;
      }
      event.preventDefault();
      showError(form, "");
      var values = formValues(form);
      var request;
      if (action === "create-person") {
        request = send(root, "POST", root.dataset.createUrl, values);
      } else if (action === "create-link") {
        request = send(root, "POST", root.dataset.linkUrl, values);
      } else if (action === "set-expected-roles") {
        request = send(root, "PUT", root.dataset.rolesUrl, { roles: values.roles || [] }, {
          "If-Match": form.dataset.etag
        });
      } else if (action === "log-activity") {
        request = send(root, "POST", root.dataset.activityUrl, values);
      } else if (action === "edit-person") {
        request = send(root, "PATCH", personUrl(root, form.dataset.person), changedValues(form), {
          "If-Match": form.dataset.etag
        });
      }
      request.then(function (result) {
        if (!result.ok) {
          if (result.response.status === 412 && action === "set-expected-roles") {
            form.dataset.etag = result.response.headers.get("ETag");
            showError(form, "Someone changed the expected roles while you chose. Now expected: " + result.data.current.roles.join(", ") + ". Save again to keep your choice.");
            return;
          }
          if (result.response.status === 412) {
            keepTypingBesideTheirs(form, result.data.current);
            form.dataset.etag = result.response.headers.get("ETag");
            showError(form, "Someone saved this person while you edited. What you typed is kept; their saved value is shown under each field you changed. Save again to keep yours.");
            return;
          }
          showError(form, errorText(result.data, form));
          return;
        }
        var dialog = form.closest("dialog");
        if (dialog) {
          dialog.close();
        }
        refresh(root, action === "edit-person" ? null : action);
      }).catch(function () {
        showError(form, "The server could not be reached; nothing was saved.");
      });
    });

    root.addEventListener("click", function (event) {
      var edit = event.target.closest("[data-edit]");
      var removeLink = event.target.closest("[data-delete-link]");
      var close = event.target.closest("[data-close]");
      if (edit) {
        var dialog = root.querySelector("#edit-person");
        var form = dialog.querySelector("form");
        send(root, "GET", personUrl(root, edit.dataset.edit)).then(function (result) {
          if (!result.ok) {
            return;
          }
          form.dataset.person = edit.dataset.edit;
          form.dataset.etag = result.response.headers.get("ETag");
          showError(form, "");
          fillEditForm(form, result.data);
          dialog.showModal();
        });
      } else if (removeLink) {
        // confirm.js has asked already and stopped this click on "Cancel".
        var url = linkUrl(root, removeLink.dataset.deleteLink);
        send(root, "GET", url).then(function (read) {
          if (!read.ok) {
            return refresh(root, null);
          }
          return send(root, "DELETE", url, undefined, {
            "If-Match": read.response.headers.get("ETag")
          }).then(function () {
            refresh(root, null);
          });
        });
      } else if (close) {
        close.closest("dialog").close();
      }
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      var root = document.getElementById("stakeholders-root");
      if (root) {
        draw(root);
      }
    }, 150);
  });

  function boot() {
    var root = document.getElementById("stakeholders-root");
    if (root) {
      start(root);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
}());
