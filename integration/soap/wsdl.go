package soap

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"github.com/parley-im/parley/integration/api"
)

// writeWSDL writes the WSDL 1.1 document of svc, RPC/literal, with the
// endpoint address location.
func writeWSDL(w *bytes.Buffer, tns string, svc *api.Service, location string) {
	esc := func(s string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	n := svc.Name
	w.WriteString(xml.Header)
	fmt.Fprintf(w, `<definitions name="%s" targetNamespace="%s" xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="%s" xmlns:xsd="http://www.w3.org/2001/XMLSchema">`+"\n", n, tns, tns)
	if svc.Doc != "" {
		fmt.Fprintf(w, "<documentation>%s</documentation>\n", esc(svc.Doc))
	}
	// Types: every complex type the operations use. Elements are
	// unqualified and all optional: a client may leave any field out
	// (the service answers SERVICE_INPUT_ERROR where it matters).
	fmt.Fprintf(w, "<types>\n<xsd:schema targetNamespace=\"%s\" elementFormDefault=\"unqualified\">\n", tns)
	for _, t := range api.ComplexTypes(svc) {
		fmt.Fprintf(w, `<xsd:complexType name="%s"><xsd:sequence>`, t.Name)
		if t.Kind == api.Array {
			fmt.Fprintf(w, `<xsd:element name="item" type="%s" minOccurs="0" maxOccurs="unbounded"/>`, t.Elem.XSD())
		}
		for _, f := range t.Fields {
			// Optional (pointer) fields are minOccurs 0 and not nillable:
			// absence is the null, and JAXB then maps them to plain
			// String/Boolean properties instead of JAXBElement wrappers.
			extra := ` minOccurs="0"`
			if f.Repeated {
				extra += ` maxOccurs="unbounded"`
			}
			fmt.Fprintf(w, `<xsd:element name="%s" type="%s"%s/>`, f.Name, f.Type.XSD(), extra)
		}
		w.WriteString("</xsd:sequence></xsd:complexType>\n")
	}
	w.WriteString("</xsd:schema>\n</types>\n")

	for _, op := range svc.Operations {
		fmt.Fprintf(w, `<message name="%s">`, op.Name)
		for _, p := range op.Params {
			d, _ := api.Describe(p.Elem())
			fmt.Fprintf(w, `<part name="%s" type="%s"/>`, p.Name, d.XSD())
		}
		w.WriteString("</message>\n")
		d, _ := api.Describe(op.Result)
		fmt.Fprintf(w, `<message name="%sResponse"><part name="return" type="%s"/></message>`+"\n", op.Name, d.XSD())
	}

	fmt.Fprintf(w, `<portType name="%sPortType">`+"\n", n)
	for _, op := range svc.Operations {
		fmt.Fprintf(w, `<operation name="%s" parameterOrder="%s">`, op.Name, paramOrder(op))
		if doc := opDoc(op); doc != "" {
			fmt.Fprintf(w, "<documentation>%s</documentation>", esc(doc))
		}
		fmt.Fprintf(w, `<input message="tns:%s"/><output message="tns:%sResponse"/></operation>`+"\n", op.Name, op.Name)
	}
	w.WriteString("</portType>\n")

	fmt.Fprintf(w, `<binding name="%sBinding" type="tns:%sPortType"><soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>`+"\n", n, n)
	for _, op := range svc.Operations {
		body := fmt.Sprintf(`<soap:body use="literal" namespace="%s"/>`, tns)
		fmt.Fprintf(w, `<operation name="%s"><soap:operation soapAction="%s"/><input>%s</input><output>%s</output></operation>`+"\n", op.Name, op.Name, body, body)
	}
	w.WriteString("</binding>\n")

	fmt.Fprintf(w, `<service name="%s"><port name="%sPort" binding="tns:%sBinding"><soap:address location="%s"/></port></service>`+"\n", n, n, n, esc(location))
	w.WriteString("</definitions>\n")
}

func paramOrder(op *api.Operation) string {
	var b bytes.Buffer
	for i, p := range op.Params {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.Name)
	}
	return b.String()
}

// opDoc is the operation's description followed by its parameters'.
func opDoc(op *api.Operation) string {
	doc := op.Doc
	for _, p := range op.Params {
		if p.Doc != "" {
			doc += fmt.Sprintf("\n%s: %s", p.Name, p.Doc)
		}
	}
	return doc
}
