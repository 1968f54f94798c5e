package conferencing

import (
	"bytes"
	"embed"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
)

// The Instant Conference URL service and its schemas (seed 001 chapter
// 3, "Instant Conference").
const (
	InstantPath   = "/imtapp/app/OracleRTCService"
	SchemaPrefix  = "/imtapp/app/"
	InstantOp     = "instantMeeting"
	maxInstantXML = 16 << 10
)

//go:embed xsd/*.xsd
var schemas embed.FS

// instantRequest is the xmlin document (Table 3-17, and Parley's token).
// Its root element may have any name (instantMtgReq.xsd calls it
// instantMtgReq).
type instantRequest struct {
	MeetingType      string `xml:"meetingType"`
	SiteID           string `xml:"siteid"`
	Password         string `xml:"password"`
	MeetingTitle     string `xml:"meetingTitle"`
	HostExitURL      string `xml:"hostExitURL"`
	AttendeeExitURL  string `xml:"attendeeExitURL"`
	AttendeeStartURL string `xml:"attendeeStartURL"`
	ReturnType       string `xml:"returnType"`
	Token            string `xml:"token"`
}

// meetingResp is the answer with returnType XML (Table 3-18).
type meetingResp struct {
	XMLName      xml.Name `xml:"meetingResp"`
	ResponseCode int      `xml:"responseCode"`
	MtgID        string   `xml:"mtgId"`
	PlaybackURL  string   `xml:"playbackURL"`
	HostURL      string   `xml:"hostURL"`
	AttendeeURL  string   `xml:"attendeeURL"`
}

// errorMsg is the error answer with returnType XML (Table 3-19).
type errorMsg struct {
	XMLName      xml.Name `xml:"errorMsg"`
	ResponseCode int      `xml:"responseCode"`
	Message      string   `xml:"message"`
}

// InstantHandler serves the Instant Conference URL service at
// InstantPath and its schemas (instantMtgReq.xsd, meetingResp.xsd,
// errorMsg.xsd) under SchemaPrefix. baseURL gives the server's URL as
// the client reached it, for the join and playback URLs.
func (s *Service) InstantHandler(baseURL func(*http.Request) string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(InstantPath, func(w http.ResponseWriter, r *http.Request) {
		s.instant(w, r.WithContext(api.WithBaseURL(r.Context(), baseURL(r))))
	})
	for _, name := range []string{"instantMtgReq.xsd", "meetingResp.xsd", "errorMsg.xsd"} {
		data, _ := schemas.ReadFile("xsd/" + name)
		mux.HandleFunc("GET "+SchemaPrefix+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.Write(data)
		})
	}
	return mux
}

// Register mounts the Instant Conference URL service and its schemas.
func (s *Service) Register(mux *http.ServeMux, baseURL func(*http.Request) string) {
	h := s.InstantHandler(baseURL)
	mux.Handle(InstantPath, h)
	for _, name := range []string{"instantMtgReq.xsd", "meetingResp.xsd", "errorMsg.xsd"} {
		mux.Handle(SchemaPrefix+name, h)
	}
}

func (s *Service) instant(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "use GET (or POST a form)", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxInstantXML+4096)
	if err := r.ParseForm(); err != nil {
		s.instantError(w, strings.EqualFold(r.URL.Query().Get("returnType"), "text"),
			outcome{integration.ServiceInputError, "the request could not be read"})
		return
	}
	in, textMode, o := parseInstant(r.Form)
	if o.failed() {
		s.instantError(w, textMode, o)
		return
	}
	siteID := strings.TrimSpace(in.SiteID)
	token := strings.TrimSpace(in.Token)
	if token == "" {
		token = strings.TrimSpace(r.Form.Get("token"))
	}
	ctx := r.Context()
	caller, o := s.caller(ctx, siteID, token, auth.PolicyPreconference, integration.InvalidSiteID)
	if o.failed() {
		s.instantError(w, textMode, o)
		return
	}
	res, err := s.o.Conferences.Instant(ctx, caller, conference.InstantSpec{Type: in.MeetingType, Key: in.Password,
		Title: in.MeetingTitle, HostExitURL: strings.TrimSpace(in.HostExitURL), AttendeeExitURL: strings.TrimSpace(in.AttendeeExitURL),
		AttendeeStartURL: strings.TrimSpace(in.AttendeeStartURL)}, api.BaseURL(ctx))
	if err != nil {
		s.instantError(w, textMode, s.statusOf(InstantOp, err, integration.MeetingNotCreatedErr))
		return
	}
	if textMode {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, res.HostURL, http.StatusSeeOther)
		return
	}
	writeXML(w, http.StatusOK, meetingResp{ResponseCode: 0, MtgID: res.Conference.ID,
		PlaybackURL: conference.PlaybackLink(api.BaseURL(ctx), res.Conference, false), HostURL: res.HostURL, AttendeeURL: res.AttendeeURL})
}

// parseInstant reads an Instant Conference request's parameters: the
// operation, the xmlin document and the answer's form (returnType, in
// xmlin or as a parameter; XML unless it says text). A failure names the
// status code of the answer (SERVICE_INPUT_ERROR for malformed input,
// INVALID_SITE_ID without a siteid).
func parseInstant(form url.Values) (instantRequest, bool, outcome) {
	var in instantRequest
	textMode := strings.EqualFold(form.Get("returnType"), "text")
	xmlin := form.Get("xmlin")
	var parseErr error
	switch {
	case xmlin == "":
		parseErr = fmt.Errorf("the xmlin parameter is missing")
	case len(xmlin) > maxInstantXML:
		parseErr = fmt.Errorf("xmlin is longer than %d bytes", maxInstantXML)
	default:
		d := xml.NewDecoder(strings.NewReader(xmlin))
		d.Strict = true
		if err := d.Decode(&in); err != nil {
			parseErr = fmt.Errorf("xmlin is not an instant meeting request: %v", err)
		}
	}
	if rt := strings.TrimSpace(in.ReturnType); rt != "" {
		textMode = strings.EqualFold(rt, "text")
		if !textMode && !strings.EqualFold(rt, "XML") {
			return in, false, outcome{integration.ServiceInputError, fmt.Sprintf("returnType %q: want XML or text", rt)}
		}
	}
	if op := form.Get("operation"); op != InstantOp {
		return in, textMode, outcome{integration.ServiceInputError, fmt.Sprintf("operation %q: this service does %s", op, InstantOp)}
	}
	if parseErr != nil {
		return in, textMode, outcome{integration.ServiceInputError, parseErr.Error()}
	}
	if strings.TrimSpace(in.SiteID) == "" {
		return in, textMode, outcome{integration.InvalidSiteID, "siteid is required"}
	}
	return in, textMode, ok
}

// httpStatus is the HTTP status that goes with a failed instant
// request's status code.
func httpStatus(st integration.Status) int {
	switch st {
	case integration.NotAuthorized, integration.InvalidSiteID:
		return http.StatusForbidden
	case integration.UnexpectedError:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The conference could not be started</title></head>
<body><h1>The conference could not be started</h1>
<p>{{.Message}}</p>
<p>Status {{.Code}} ({{.Name}}). Ask the site that sent you here to try again.</p>
</body></html>
`))

func (s *Service) instantError(w http.ResponseWriter, textMode bool, o outcome) {
	msg := o.details
	if msg == "" {
		msg = o.status.String()
	}
	if textMode {
		var b bytes.Buffer
		errorPage.Execute(&b, struct {
			Message, Name string
			Code          int
		}{msg, o.status.String(), int(o.status)})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		w.WriteHeader(httpStatus(o.status))
		w.Write(b.Bytes())
		return
	}
	writeXML(w, httpStatus(o.status), errorMsg{ResponseCode: int(o.status), Message: msg})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
