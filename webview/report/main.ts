import "./report.css";
import {ReportApp} from "./ReportApp";

const root = document.getElementById("belle-report");
if (root == null) throw new Error("the report HTML lacks #belle-report");
new ReportApp(root, acquireVsCodeApi()).start();
